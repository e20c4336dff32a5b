# Joining the home network: the first join searches for the access point, the
# next ones (after deep sleep) go straight to it; a moved access point or a
# power cut costs one cold join, never a wake; failures say why, never the password.
from replenish import wifi
from replenish.rtcmem import RtcMemory
from tools.sim.board import SimBoard
from tools.sim.clock import VirtualClock
from tools.sim.wifi import FakeWLAN

PASSWORD = "correct horse battery"
STATIC = ("192.168.1.50", "255.255.255.0", "192.168.1.1", "192.168.1.1")


class Home:
    """A board, its access point and the wake's RTC memory."""

    def __init__(self):
        self.clock = VirtualClock()
        self.wlan = FakeWLAN("home", PASSWORD, clock=self.clock)
        self.power_on()

    def power_on(self):
        """A cold boot: a new board on the same home network, RTC memory empty."""
        self.board = SimBoard(clock=self.clock, wlan=self.wlan)
        self.rtc = RtcMemory(self.board)

    def join(self, ssid="home", password=PASSWORD, **options):
        """One session's join and leave, then deep sleep: seconds it took and how."""
        start = self.clock.ticks_ms()
        how = wifi.connect(self.board, ssid, password, rtc=self.rtc, **options)
        took = (self.clock.ticks_ms() - start) / 1000
        assert self.wlan.isconnected()
        wifi.leave(self.board)
        self.sleep()
        return how, took

    def sleep(self):
        self.rtc.save()
        self.rtc = RtcMemory(self.board)  # the next wake reads what this one left


def test_the_first_join_searches_and_the_next_goes_straight_to_the_access_point():
    home = Home()
    assert home.join() == ("cold", 2.5)
    assert home.join() == ("fast", 0.6)
    assert home.join() == ("fast", 0.6)
    assert (home.wlan.cold, home.wlan.fast, home.wlan.scans) == (1, 2, 1)
    assert not home.wlan.active()  # the radio is off between sessions


def test_a_moved_or_replaced_access_point_costs_one_failed_try_then_a_new_cache():
    for move in ({"channel": 11}, {"bssid": b"\x24\x0a\xc4\x5e\x99\x99"}):
        home = Home()
        home.join()
        home.wlan.move(**move)
        assert home.join() == ("cold", 0.6 + 2.5)
        assert home.wlan.fast_failed == 1
        assert home.join() == ("fast", 0.6)


def test_a_power_cut_forgets_the_cache():
    home = Home()
    home.join()
    home.power_on()
    assert home.join() == ("cold", 2.5)
    assert home.wlan.fast_failed == 0


def test_a_new_network_name_does_not_try_the_old_access_point():
    home = Home()
    home.join()
    home.wlan.ssid = "home-5"  # the owner renamed the network and the config
    assert home.join("home-5") == ("cold", 2.5)
    assert home.wlan.fast_failed == 0
    assert home.join("home-5") == ("fast", 0.6)


def test_a_hidden_network_is_joined_by_name_and_stays_cold():
    home = Home()
    home.wlan.hidden = True  # a scan cannot tell which access point is ours
    # A scan that finds no name (1.9 s), then the driver's own search (2.5 s).
    assert home.join() == ("cold", 4.4)
    assert home.rtc.get(wifi.CACHE) is None
    assert home.join()[0] == "cold"


def test_a_static_address_skips_dhcp():
    home = Home()
    wifi.connect(home.board, "home", PASSWORD, rtc=home.rtc, static_ip=list(STATIC))
    assert home.wlan.ifconfig() == STATIC
    assert home.wlan.dhcp == 0
    wifi.leave(home.board)
    other = Home()
    other.join()
    assert other.wlan.dhcp == 1


def test_a_refused_password_says_so_drops_the_cache_and_turns_the_radio_off():
    home = Home()
    home.join()
    home.wlan.password = "changed by the owner"
    try:
        wifi.connect(home.board, "home", PASSWORD, rtc=home.rtc)
    except wifi.WifiError as err:
        assert "password was refused" in str(err) and "'home'" in str(err)
        assert PASSWORD not in str(err)
    else:
        raise AssertionError("joined with a refused password")
    assert home.wlan.connects == 3  # the first join, one fast try, one cold: no loop
    assert home.rtc.get(wifi.CACHE) is None
    assert not home.wlan.active()


def test_a_silent_access_point_is_given_up_on_while_the_watchdog_is_fed():
    home = Home()
    home.wlan.answers = False
    fed = []
    try:
        wifi.connect(home.board, "home", PASSWORD, rtc=home.rtc,
                     feed=lambda: fed.append(home.clock.ticks_ms()))
    except wifi.WifiError as err:
        assert "no connection after 15 s" in str(err)
    else:
        raise AssertionError("joined a silent access point")
    assert len(fed) > 100
    gaps = [b - a for a, b in zip(fed, fed[1:])]
    assert max(gaps) <= 100  # a watchdog of a second or more never bites
    assert not home.wlan.active()


def test_no_such_network():
    home = Home()
    try:
        wifi.connect(home.board, "cafe", PASSWORD, rtc=home.rtc)
    except wifi.WifiError as err:
        assert "no access point with that name" in str(err)
    else:
        raise AssertionError("joined a network that is not there")


def test_an_interface_already_joined_is_kept():
    home = Home()
    wifi.connect(home.board, "home", PASSWORD, rtc=home.rtc)
    assert wifi.connect(home.board, "home", PASSWORD, rtc=home.rtc) == "kept"
    assert home.wlan.connects == 1
