"""One emulated host: routes a request to its endpoint, applies any fault
armed for that endpoint, runs the handler under the state lock, saves the
world and records the exchange."""

import re

from tools.emulator import faults, wire


class Route:
    def __init__(self, method, pattern, endpoint, handler):
        self.method = method
        self.regex = re.compile("^" + pattern + "$")
        self.endpoint = endpoint
        self.handler = handler


class Service:
    """`error_reply(status, message)` shapes errors the way this host does."""

    def __init__(self, emulator, routes, error_reply):
        self.emulator = emulator
        self.routes = routes
        self.error_reply = error_reply

    def _route(self, req):
        allowed = []
        for route in self.routes:
            m = route.regex.match(req.path)
            if m and route.method == req.method:
                return route, m.groups()
            if m:
                allowed.append(route.method)
        if allowed:
            resp = self.error_reply(405, "%s is not allowed on %s; use %s"
                                    % (req.method, req.path, " or ".join(allowed)))
            resp.headers.append(("Allow", ", ".join(allowed)))
        else:
            resp = self.error_reply(404, "no such resource: %s %s" % (req.method, req.path))
        return resp, None

    def handle(self, req):
        emu = self.emulator
        route, args = self._route(req)
        endpoint = fault = None
        if args is None:
            resp = route
        else:
            endpoint = route.endpoint
            fault = emu.faults.take(endpoint)
            resp = faults.before(fault, self.error_reply)
            if resp is None:
                with emu.state.lock:
                    resp = route.handler(emu.state, req, *args)
                    emu.state.save()
                resp = faults.after(fault, resp)
        status = None if resp.delivery.kind == wire.RESET else resp.status
        emu.recorder.record(req, endpoint, status, fault, emu.state.now())
        emu.log("%s %s %s -> %d%s" % (req.listener, req.method, req.path, resp.status,
                                      " (fault: %s)" % fault["kind"] if fault else ""))
        return resp
