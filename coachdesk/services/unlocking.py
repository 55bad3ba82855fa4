"""Unlocking in two steps, so the app can derive the key while its window is being built.

`derive_key` needs only the key file and Argon2 (which releases the GIL);
`open_with_key` needs the database stack. The app runs the first while the
GUI thread imports that stack and builds the main window, then the second.
`services.vaults.unlock` remains the one-step way for everyone else.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from coachdesk.store.keys import KEY_FILE, KeyFile

if TYPE_CHECKING:
    from coachdesk.store.vault import Vault


def derive_key(root: Path, passphrase: str) -> bytes:
    """The vault's data key from its passphrase (WrongPassphraseError, VaultDamagedError)."""
    return KeyFile.read(root / KEY_FILE).unlock(passphrase)


def open_with_key(root: Path, data_key: bytes, actor: str) -> Vault:
    """Open the vault with a derived or remembered data key (runs pending migrations)."""
    from coachdesk.store import vault as vault_store  # the heavy half, loaded on demand

    return vault_store.open_with_key(root, data_key, actor)
