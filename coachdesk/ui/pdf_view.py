"""Showing a PDF on screen: pages rendered to images off the GUI thread, stacked like paper.

`render_pages` runs on the db lane (PDFium is not thread-safe, and the lane is a
single thread); `PdfView` only displays the images it is given.  Nothing is
written to disk: the PDF bytes go straight from memory to PDFium.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPalette, QPixmap
from PySide6.QtWidgets import QGraphicsDropShadowEffect, QLabel, QScrollArea, QVBoxLayout, QWidget

MAX_PAGES = 30


def render_pages(pdf: bytes, width_px: int, max_pages: int = MAX_PAGES) -> list[QImage]:
    """The first `max_pages` pages as images `width_px` wide (call off the GUI thread)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images: list[QImage] = []
    try:
        for index in range(min(len(document), max_pages)):
            page = document[index]
            width_pt = page.get_width()
            bitmap = page.render(scale=max(width_px, 50) / width_pt)
            pil = bitmap.to_pil().convert("RGB")
            data = pil.tobytes("raw", "RGB")
            image = QImage(data, pil.width, pil.height, 3 * pil.width, QImage.Format.Format_RGB888)
            images.append(image.copy())
            page.close()
    finally:
        document.close()
    return images


class PdfView(QScrollArea):
    """Pages of a document, one under the other on a grey desk.

    Args:
        parent: the owning widget.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        desk = QWidget()
        desk.setAutoFillBackground(True)
        palette = desk.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#e4e6ea"))
        desk.setPalette(palette)
        self._layout = QVBoxLayout(desk)
        self._layout.setContentsMargins(16, 16, 16, 16)
        self._layout.setSpacing(16)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self._message = QLabel()
        self._message.setWordWrap(True)
        self._message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._message.setStyleSheet("color: #555; padding: 24px;")
        self._layout.addWidget(self._message)
        self._pages: list[QLabel] = []
        self.setWidget(desk)
        self.set_message("")

    def page_width(self) -> int:
        """The width pages should be rendered at to fill the view."""
        return max(200, self.viewport().width() - 40)

    @property
    def page_count(self) -> int:
        """How many pages are shown."""
        return len(self._pages)

    def set_pages(self, images: list[QImage]) -> None:
        """Show these page images (replacing what was shown)."""
        self._clear_pages()
        self._message.hide()
        for image in images:
            page = QLabel()
            page.setPixmap(QPixmap.fromImage(image))
            page.setAlignment(Qt.AlignmentFlag.AlignCenter)
            shadow = QGraphicsDropShadowEffect(page)
            shadow.setBlurRadius(12)
            shadow.setOffset(0, 2)
            shadow.setColor(QColor(0, 0, 0, 70))
            page.setGraphicsEffect(shadow)
            self._layout.addWidget(page)
            self._pages.append(page)

    def set_message(self, text: str) -> None:
        """Show a message instead of pages (empty text shows an empty desk)."""
        self._clear_pages()
        self._message.setText(text)
        self._message.setVisible(bool(text))

    def _clear_pages(self) -> None:
        from coachdesk.ui.compat import delete_soon

        for page in self._pages:
            page.hide()
            self._layout.removeWidget(page)
            delete_soon(page, self)
        self._pages = []
