# What reaches crash.log and the console holds no secret: tokens, Bearer and
# Authorization values, secret form and JSON fields, and the secrets the
# device loaded; everything else is left exactly as it was.
from replenish import redact
from replenish.redact import MASK

# Fake secrets, assembled so that this file's text holds none whole.
ACCESS = "Atza" + "|IwEBaccess-token_1.2~x/y+z="
REFRESH = "Atzr" + "|IwEBrefresh-token-9"


def test_lwa_tokens_are_masked_also_when_form_encoded():
    text = "refresh failed with %s, then %s; again with Atzr%%7CIwEBenc-3 and Atza%%7cIwEBx" % (
        REFRESH, ACCESS)
    assert redact.redact(text) == "refresh failed with %s, then %s; again with %s and %s" % (
        MASK, MASK, MASK, MASK)


def test_authorization_headers_and_bearer_values_are_masked():
    head = "POST /replenish/ink HTTP/1.1\r\nAuthorization: Bearer %s\r\nHost: drs\r\n" % ACCESS
    assert redact.redact(head) == ("POST /replenish/ink HTTP/1.1\r\nAuthorization: %s\r\n"
                                   "Host: drs\r\n" % MASK)
    assert redact.redact("sent bearer abc.def-123 to DRS") == "sent bearer %s to DRS" % MASK
    assert redact.redact("{'Authorization': 'Bearer x1'}") == "{'Authorization': '%s'}" % MASK


def test_secret_form_fields_are_masked_and_the_others_kept():
    form = ("grant_type=refresh_token&refresh_token=Atzr%7CIwEBq&client_id=amzn1.app"
            "&client_secret=s3cr3t%21&code=ANdNAVhyhq&redirect_uri=http://127.0.0.1/x")
    assert redact.redact(form) == (
        "grant_type=refresh_token&refresh_token=%s&client_id=amzn1.app&client_secret=%s"
        "&code=%s&redirect_uri=http://127.0.0.1/x" % (MASK, MASK, MASK))


def test_secret_json_and_repr_fields_are_masked_and_the_others_kept():
    body = ('{"access_token": "%s", "refresh_token":"a\\"b", "expires_in": 3600, '
            '"code": 1234, "token_type": "bearer"}' % ACCESS)
    assert redact.redact(body) == ('{"access_token": "%s", "refresh_token":"%s", '
                                   '"expires_in": 3600, "code": %s, "token_type": "bearer"}'
                                   % (MASK, MASK, MASK))
    assert redact.redact("KeyError: {'client_secret': 'xyz', 'slot': 'ink'}") == (
        "KeyError: {'client_secret': '%s', 'slot': 'ink'}" % MASK)
    # A quoted value cut off by a length limit: the rest may be the secret.
    assert redact.redact('body {"client_secret": "abcdef') == 'body {"client_secret": "%s' % MASK


def test_registered_secrets_are_masked_wherever_they_appear():
    redact.register("correct-horse-wifi")
    redact.register("horse")  # inside the longer one: the longer is masked whole
    redact.register("pw")  # too short to tell from ordinary text
    text = "wlan: could not join home with correct-horse-wifi (pw)"
    assert redact.redact(text) == "wlan: could not join home with %s (pw)" % MASK
    assert redact.redact("a horse") == "a " + MASK


def test_ordinary_text_is_left_exactly_as_it_was():
    texts = [
        'Traceback (most recent call last):\n  File "replenish/cycle.py", line 93, in _act\n'
        "OSError: [Errno 5] EIO",
        'replenish: {"eventInstanceId": "amzn1.dash.v2.o.x",'
        ' "detailCode": "STANDARD_ORDER_PLACED"}',
        "LWA answered 503; status code: 500; error_code=5; encode=utf-8",
        "lwa: Amazon revoked this device's authorization (the customer removed it): link it again",
        '{"token_type": "bearer", "expires_in": 3600}',
        "slot café: a new container (1.0 units)",
        "",
    ]
    for text in texts:
        assert redact.redact(text) == text, text


def test_text_around_a_secret_keeps_its_non_ascii_characters():
    text = "café ünïcode refresh_token=%s — fin" % REFRESH
    assert redact.redact(text) == "café ünïcode refresh_token=%s — fin" % MASK


def test_redacting_twice_changes_nothing_more():
    text = "Authorization: Bearer %s\nrefresh_token=%s code=x" % (ACCESS, REFRESH)
    once = redact.redact(text)
    assert "IwEB" not in once and redact.redact(once) == once
