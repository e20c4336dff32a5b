# Login with Amazon on the device: the refresh grant, and the tokens in flash.
#
#   lwa = Lwa(http, store, clock, client_id, client_secret,
#             url="https://api.amazon.com", margin_s=300, backoff_s=60,
#             backoff_max_s=21600, log=print, rand=None)
#   lwa.link(refresh_token)   # after the customer linked the device
#   lwa.linked() -> bool
#   lwa.why_unlinked() -> None while linked, else why not and how to link (for the console)
#   lwa.access_token() -> str # cached until shortly before it expires, also across deep sleep
#   lwa.refresh() -> str      # a new access token now
#   lwa.invalidate()          # the service rejected the cached one
#   lwa.forget(reason)        # REVOKED or DEREGISTERED: erase the tokens from flash now
#
# The refresh token is kept in two copies (a mirrored store record): losing it
# to one worn sector would need the customer to link the device again.
#
# Failures: Unlinked (the refresh token was revoked, or the device deregistered:
# the token is erased at once and no network call is made until link() is
# called again; the flash keeps why), ConfigError (the client
# id/secret or the request is wrong: a human must fix the settings), TryLater
# (LWA or the network failed: .retry_at says when to try, with exponential
# backoff and jitter kept in flash, later if a 429/503 says Retry-After),
# StoreError (flash failed). A rotated refresh token the flash refuses waits in
# RTC memory (the old one is revoked already) until a later wake's flash takes it.
import random

from replenish.http import quote
from replenish.http_errors import HttpError, OutOfMemory
from replenish.retry_after import retry_after
from replenish.store import StoreError

REFRESH = "lwa_refresh"  # {"token": "Atzr|…"} or {"unlinked": REVOKED or DEREGISTERED}
ACCESS = "lwa_access"  # {"token": "Atza|…", "expires": unix seconds, margin taken off}
RTC_TOKEN_MAX = 1024  # a longer access token (up to 2048) goes to flash: RTC memory is 2 KB
ROTATED = "lwa_rotated"  # RTC memory: a new refresh token the flash has not taken yet
RETRY = "lwa_retry"  # {"failures": n, "at": unix seconds}: RTC memory where there is one
CONFIG_ERRORS = ("invalid_client", "unauthorized_client", "unsupported_grant_type",
                 "invalid_request", "invalid_scope")
RELINK = ("link it again: run tools/link.py for this device, let the customer allow "
          "it, and copy link.json to the device (README, 'On a real board')")
REVOKED = "revoked"  # LWA answered invalid_grant
DEREGISTERED = "deregistered"  # drs.deregister() succeeded
WHY = {
    REVOKED: "Amazon revoked this device's authorization (the customer removed it from "
             "their account, or it was deregistered)",
    DEREGISTERED: "this device deregistered itself from Dash Replenishment",
}
NEVER_LINKED = "the device is not linked to an Amazon account"


class LwaError(Exception):
    pass


class Unlinked(LwaError):
    def __init__(self, why=NEVER_LINKED):
        super().__init__(why + ": " + RELINK)


class ConfigError(LwaError):
    pass


class TryLater(LwaError):
    def __init__(self, reason, retry_at):
        super().__init__("%s; next attempt at %d" % (reason, retry_at))
        self.retry_at = retry_at


def _random():
    return random.getrandbits(16) / 65536


class Lwa:
    def __init__(self, http, store, clock, client_id, client_secret,
                 url="https://api.amazon.com", margin_s=300, backoff_s=60,
                 backoff_max_s=21600, log=print, rand=None, rtc=None):
        self.http = http
        self.store = store
        # The access token lives an hour and is fetched again when lost: kept
        # in RTC memory where there is one (a wake costs no flash write), else
        # in the store.
        self.rtc = rtc
        self.clock = clock
        self._client_id = client_id
        self._client_secret = client_secret
        self.url = url
        self.margin_s = margin_s
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.log = log
        self.rand = rand or _random
        self._forgotten = None  # the reason, also if erasing the token from flash failed
        store.mirror(REFRESH)

    def __repr__(self):
        return "<Lwa %s>" % ("linked" if self.linked() else "unlinked")

    def linked(self):
        return self.why_unlinked() is None

    def why_unlinked(self):
        return _why(self._refresh_record())

    def _refresh_record(self):
        if self._forgotten:
            return {"unlinked": self._forgotten}
        waiting = self.rtc and self.rtc.get(ROTATED)
        if waiting:
            if not (self.store.resting or self.store.refused):
                self._keep(waiting)
            return {"token": waiting}
        return self.store.load(REFRESH, {})

    def _keep(self, rotated):
        """The new refresh token in flash before anything uses it; a flash
        that refuses it leaves it in RTC memory, which deep sleep keeps."""
        try:
            self._save_refresh({"token": rotated})
        except StoreError as err:
            if not self.rtc:
                raise
            self.rtc.set(ROTATED, rotated)
            self.log("lwa: %s: the new refresh token waits in RTC memory until the flash "
                     "takes it (a power cut before then needs the device linked again)" % err)

    def _save_refresh(self, record):
        """The refresh record in flash; a token waiting in RTC memory is then stale."""
        self.store.save(REFRESH, record)
        if self.rtc:
            self.rtc.pop(ROTATED)

    def _held(self):
        """The refresh token, or Unlinked: nothing is sent for an unlinked device."""
        record = self._refresh_record()
        if "token" not in record:
            raise Unlinked(_why(record))
        return record["token"]

    def link(self, refresh_token):
        self._forgotten = None
        self._save_refresh({"token": refresh_token})
        self._drop_access()
        self._save_retry(0, 0)

    def invalidate(self):
        self._drop_access()

    def _drop_access(self):
        if self.rtc:
            self.rtc.pop(ACCESS)
        self.store.delete(ACCESS)

    def forget(self, reason):
        """The authorization is gone (REVOKED, DEREGISTERED): both copies of the
        refresh token are overwritten with why, then the access token goes."""
        self._forgotten = reason
        self._save_refresh({"unlinked": reason})
        self._drop_access()
        self.log("lwa: %s: its tokens are erased and nothing is sent until it is linked "
                 "again; %s" % (WHY[reason], RELINK))

    def access_token(self):
        self._held()  # a cached access token of an unlinked device is not used either
        cached = (self.rtc and self.rtc.get(ACCESS)) or self.store.load(ACCESS)
        if cached and self.clock.now() < cached["expires"]:
            return cached["token"]
        return self.refresh()

    def refresh(self):
        held = self._held()
        now = self.clock.now()
        retry = self._retry()
        if now < retry["at"]:
            raise TryLater("LWA failed %d times" % retry["failures"], retry["at"])
        # Form-encoded: the tokens hold '|' and other reserved characters.
        body = "grant_type=refresh_token&refresh_token=%s&client_id=%s&client_secret=%s" % (
            quote(held), quote(self._client_id), quote(self._client_secret))
        try:
            resp = self.http.request(
                "POST", self.url + "/auth/o2/token",
                {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}, body)
        except OutOfMemory:
            raise  # the heap, not LWA: said as such, never backed off as an outage
        except HttpError as err:
            raise self._backoff(retry, "LWA unreachable (%s)" % err)
        body = None  # the form holds the secrets: not kept longer than needed
        if resp.status == 200:
            try:
                data = resp.json()
                access, expires_in = data["access_token"], int(data["expires_in"])
                rotated = data.get("refresh_token")
            except (ValueError, KeyError, TypeError):
                raise self._backoff(retry, "LWA answered 200 without a token")
            if rotated and rotated != held:
                self._keep(rotated)
            record = {"token": access, "expires": now + expires_in - self.margin_s}
            if self.rtc and len(access) <= RTC_TOKEN_MAX:
                self.rtc.set(ACCESS, record)
            else:
                self.store.save(ACCESS, record)
            self._save_retry(0, 0)
            return access
        error = _error_code(resp)
        if error == "invalid_grant":
            self.forget(REVOKED)
            raise Unlinked(WHY[REVOKED])
        if resp.status >= 500 or resp.status == 429:
            raise self._backoff(retry, "LWA answered %d" % resp.status, resp)
        raise ConfigError("LWA refused the refresh grant (%d %s): check the client id, "
                          "secret and LWA URL in the settings"
                          % (resp.status, (error or "no error code")[:40]))

    def _backoff(self, retry, reason, resp=None):
        failures = retry["failures"] + 1
        delay = min(self.backoff_max_s, self.backoff_s * 2 ** min(failures - 1, 20))
        # "Equal jitter": half the delay fixed, half random, so devices that
        # failed together do not come back together.
        now = self.clock.now()
        at = now + int(delay / 2 + self.rand() * delay / 2)
        if resp is not None and resp.status in (429, 503):
            at = max(at, retry_after(resp.header("retry-after"), now, 0))  # the server knows best
        self._save_retry(failures, at)
        self.log("lwa: %s; retry in %d s" % (reason, at - now))
        return TryLater(reason, at)

    # The backoff lives in RTC memory where there is one: no flash wear for a
    # failing network, and after a power cut a try at once is no harm.

    def _retry(self):
        if self.rtc:
            return self.rtc.get(RETRY) or {"failures": 0, "at": 0}
        return self.store.load(RETRY, {"failures": 0, "at": 0})

    def _save_retry(self, failures, at):
        if self.rtc:
            if failures:
                self.rtc.set(RETRY, {"failures": failures, "at": at})
            else:
                self.rtc.pop(RETRY)
            return
        try:
            self.store.save(RETRY, {"failures": failures, "at": at})
        except StoreError as err:  # the cycle keeps its own retry time in RTC memory
            self.log("lwa: %s" % err)


def _why(refresh_record):
    if "token" in refresh_record:
        return None
    return WHY.get(refresh_record.get("unlinked"), NEVER_LINKED)


def _error_code(resp):
    try:
        error = resp.json().get("error")
    except (ValueError, AttributeError):
        return None
    return error if isinstance(error, str) else None
