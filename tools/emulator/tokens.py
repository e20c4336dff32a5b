"""LWA credentials: authorization codes, access tokens (`Atza|`, one hour) and
refresh tokens (`Atzr|`, until revoked), stored by hash only."""

import base64
import os

from tools.emulator.masking import token_hash

ACCESS_LIFETIME = 3600
CODE_LIFETIME = 300


def _random_text(nbytes):
    return base64.urlsafe_b64encode(os.urandom(nbytes)).decode().rstrip("=")


def _mint(state, table, prefix, nbytes, record):
    token = prefix + _random_text(nbytes)
    table[token_hash(token)] = record
    state.touch()
    return token


def issue_code(state, device, client_id, redirect_uri, challenge=None):
    return _mint(state, state.codes, "", 15, {
        "device": device, "client_id": client_id, "redirect_uri": redirect_uri,
        "code_challenge": challenge, "used": False, "revoked": False,
        "expires_at": state.now() + CODE_LIFETIME})


def issue_refresh_token(state, device, client_id):
    return _mint(state, state.refresh_tokens, "Atzr|", 340, {
        "device": device, "client_id": client_id, "revoked": False, "issued_at": state.now()})


def issue_tokens(state, device, client_id, refresh_token=None):
    """A fresh access token, and a refresh token (a new one unless one is kept)."""
    access = _mint(state, state.access_tokens, "Atza|", 300, {
        "device": device, "client_id": client_id, "revoked": False,
        "expires_at": state.now() + ACCESS_LIFETIME})
    if refresh_token is None:
        refresh_token = issue_refresh_token(state, device, client_id)
    return {"access_token": access, "refresh_token": refresh_token, "token_type": "bearer",
            "expires_in": ACCESS_LIFETIME}


def find(table, token):
    return table.get(token_hash(token)) if token else None


def access_device(state, token):
    """The device key an access token acts for, or None if it is not valid now."""
    rec = find(state.access_tokens, token)
    if rec is None or rec["revoked"] or rec["expires_at"] <= state.now():
        return None
    return rec["device"]


def revoke_device(state, device):
    """Deregistration: every token and code of the device stops working."""
    for table in (state.access_tokens, state.refresh_tokens, state.codes):
        for rec in table.values():
            if rec["device"] == device:
                rec["revoked"] = True
    state.touch()
