"""One emulated host: routes a request to its endpoint, applies any fault
armed for that endpoint, judges what the client did wrong (strict mode
refuses it), runs the handler under the state lock, asks for the world to be
saved if it changed, and records the exchange and its deviations."""

import re

from tools.emulator import deviations, faults, wire


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
            message = "%s is not allowed on %s; use %s" % (req.method, req.path,
                                                          " or ".join(allowed))
            resp = self.error_reply(405, message)
            resp.headers.append(("Allow", ", ".join(allowed)))
        else:
            message = "no such resource: %s %s" % (req.method, req.path)
            resp = self.error_reply(404, message)
        deviations.note(req, "unknown_resource", message)
        return resp, None

    def _strict_refusal(self, req):
        """In strict mode, the first lenient rule the parser noted is a 400."""
        for rule, detail in req.deviations:
            if rule in deviations.LENIENT:
                return self.error_reply(400, str(deviations.Deviation(rule, detail)))
        return None

    def handle(self, req):
        emu = self.emulator
        req.strict = emu.deviations.strict
        route, args = self._route(req)
        refusal = self._strict_refusal(req) if req.strict and args is not None else None
        endpoint = fault = None
        if args is None:
            resp = route
        elif refusal:
            endpoint, resp = route.endpoint, refusal
        else:
            endpoint = route.endpoint
            fault = emu.faults.take(endpoint)
            resp = faults.before(fault, self.error_reply)
            if resp is None:
                with emu.state.lock:
                    resp = route.handler(emu.state, req, *args)
                emu.state.save_soon()
                resp = faults.after(fault, resp)
        status = None if resp.delivery.kind == wire.RESET else resp.status
        now = emu.state.now()
        emu.recorder.record(req, endpoint, status, fault, now,
                            deviations.reason(resp.status, resp.body))
        line = deviations.request_line(req.method, req.target, req.version)
        for rule, detail in req.deviations:
            emu.deviations.record(req.listener, rule, detail, line, resp.status,
                                  deviations.reason(resp.status, resp.body), now)
        emu.log("%s %s %s -> %d%s" % (req.listener, req.method, req.path, resp.status,
                                      " (fault: %s)" % fault["kind"] if fault else ""))
        return resp
