"""Creating, unlocking and re-keying vaults; remembering keys in the keychain."""

from __future__ import annotations

from pathlib import Path

from coachdesk.domain.errors import PassphraseNeededError, ValidationError
from coachdesk.domain.passphrase import assess
from coachdesk.store import audit
from coachdesk.store import vault as vault_store
from coachdesk.store.keychain import SecretStore
from coachdesk.store.keys import KdfParams
from coachdesk.store.vault import Vault, VaultPaths


def check_new_passphrase(passphrase: str, confirm: str | None = None) -> None:
    """Refuse passphrases that are too weak or do not match their confirmation."""
    if confirm is not None and passphrase != confirm:
        raise ValidationError({"confirm": "The two passphrases differ."})
    hint = assess(passphrase)
    if not hint.acceptable:
        raise ValidationError({"passphrase": hint.advice})


def create_vault(
    root: Path,
    passphrase: str,
    actor: str,
    secrets: SecretStore | None = None,
    remember: bool = False,
    kdf: KdfParams | None = None,
) -> Vault:
    """Make a new vault; optionally remember its key in the keychain."""
    check_new_passphrase(passphrase)
    if remember and secrets is not None:
        status = secrets.status()
        if not status.available:
            raise ValidationError({"remember": status.description})
    vault = vault_store.create(root, passphrase, actor, kdf)
    with vault.writing() as session:
        audit.append(session, actor, "vault", vault.vault_id, "create")
    if remember and secrets is not None:
        secrets.put(vault.vault_id, vault.data_key)
    return vault


def unlock(
    root: Path, passphrase: str | None, actor: str, secrets: SecretStore | None = None
) -> Vault:
    """Open a vault with the passphrase, or with the key remembered in the keychain."""
    paths = VaultPaths(root)
    key_file = paths.read_key_file()
    if passphrase is None:
        remembered = secrets.get(key_file.vault_id) if secrets is not None else None
        if remembered is None:
            raise PassphraseNeededError(
                "This vault needs its passphrase: type it, or set COACHDESK_PASSPHRASE "
                "or --passphrase-file for scripts."
            )
        data_key = remembered
    else:
        data_key = key_file.unlock(passphrase)
    return vault_store.open_with_key(root, data_key, actor)


def is_remembered(vault: Vault, secrets: SecretStore) -> bool:
    """Whether the keychain holds this vault's key."""
    return secrets.get(vault.vault_id) is not None


def remember(vault: Vault, secrets: SecretStore) -> None:
    """Keep the key in the keychain so the app unlocks by itself on this computer."""
    secrets.put(vault.vault_id, vault.data_key)
    with vault.writing() as session:
        audit.append(session, vault.actor, "vault", vault.vault_id, "remember_key")


def forget(vault: Vault, secrets: SecretStore) -> None:
    """Remove the key from the keychain; the passphrase is asked for next time."""
    secrets.forget(vault.vault_id)
    with vault.writing() as session:
        audit.append(session, vault.actor, "vault", vault.vault_id, "forget_key")


def change_passphrase(
    vault: Vault, old: str, new: str, confirm: str | None = None, kdf: KdfParams | None = None
) -> None:
    """Re-wrap the data key under a new passphrase (crash-safe: old or new works after a kill)."""
    vault.key_file.unlock(old)
    check_new_passphrase(new, confirm)
    vault.key_file = vault.key_file.rewrap(vault.data_key, new, kdf)
    with vault.writing() as session:
        audit.append(session, vault.actor, "vault", vault.vault_id, "change_passphrase")
