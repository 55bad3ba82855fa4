"""Showing a PDF on screen: pages rendered to images off the GUI thread, stacked like paper,
and a dialog that shows one at reading size.

`render_pages` runs on the db lane (PDFium is not thread-safe, and the lane is a
single thread); `PdfView` only displays the images it is given.  Nothing is
written to disk: the PDF bytes go straight from memory to PDFium.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPalette, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGraphicsDropShadowEffect,
    QLabel,
    QScrollArea,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from coachdesk.ui.lanes import Failure
from coachdesk.ui.ops import VaultOps
from coachdesk.ui.widgets import fit_to_screen, heading, muted

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault

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


class PreviewView(PdfView):
    """A PdfView that says when its page width changed enough to render the pages again.

    Args:
        parent: the owning widget.

    Signals:
        width_changed: the page width (pixels) after the view was resized.
    """

    width_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rendered_width = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._on_resize_settled)

    def set_message(self, text: str) -> None:
        """Show a message instead of pages, wrapped to a comfortable reading width."""
        self._fit_message()
        super().set_message(text)

    def _fit_message(self) -> None:
        self._message.setMinimumWidth(min(480, max(200, self.viewport().width() - 80)))

    def page_width(self) -> int:
        """The width pages fit at without a sideways scroll bar, once the upright one shows."""
        width = self.viewport().width() - 40
        bar = self.verticalScrollBar()
        if not bar.isVisible():
            width -= self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        return max(200, width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Wait for the resizing to settle before asking for new pages."""
        super().resizeEvent(event)
        self._fit_message()
        if self.rendered_width and self.page_count:
            self._timer.start()

    @Slot()
    def _on_resize_settled(self) -> None:
        width = self.page_width()
        if abs(width - self.rendered_width) > max(24, self.rendered_width // 10):
            self.width_changed.emit(width)


class PdfPreviewDialog(QDialog):
    """A PDF at reading size, its pages rendered on the db lane (again after a resize).

    Args:
        ops: the vault operations.
        title: the window title and heading.
        caption: a line under the heading ("" for none).
        pages: db-lane function giving the page images at a width.
        what: what is shown, for the messages ("document", "invoice").
        parent: the owning widget.
    """

    def __init__(
        self,
        ops: VaultOps,
        title: str,
        caption: str,
        pages: Callable[[Vault, int], list[QImage]],
        what: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ops = ops
        self._pages = pages
        self._what = what
        self._token = 0
        self.setWindowTitle(title)
        self.view = PreviewView()
        self.view.set_message(f"Opening the {what}…")
        self.view.width_changed.connect(self._on_width_changed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(8)
        layout.addWidget(heading(title, 3))
        if caption:
            layout.addWidget(muted(caption))
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        fit_to_screen(self, 860, 760)
        ops.closed.connect(self._on_vault_closed)
        QTimer.singleShot(0, self, self._render)

    @Slot()
    def _on_vault_closed(self) -> None:
        self.done(QDialog.DialogCode.Rejected)

    @Slot(int)
    def _on_width_changed(self, _width: int) -> None:
        self._render()

    def _render(self) -> None:
        self._token += 1
        token, width, pages = self._token, self.view.page_width(), self._pages
        self._ops.run(
            lambda vault: pages(vault, width),
            on_done=lambda images: self._on_pages(token, width, images),
            on_error=self._on_failed,
            owner=self,
            context=f"showing a {self._what}",
        )

    def _on_pages(self, token: int, width: int, images: list[QImage]) -> None:
        if token == self._token:
            self.view.set_pages(images)
            self.view.rendered_width = width

    def _on_failed(self, failure: Failure) -> None:
        self.view.set_message(
            failure.message if failure.known else f"The {self._what} could not be shown."
        )
