"""How long hostile events hold the runtime: each through the real RIE, beside a trivial call.

Prints one Markdown table: for each event (about 6 MB at most), the time
from request to answer, and that time minus a call of ``{"n":7}`` measured
in the same run.  ``--python`` picks the interpreter (the image runs 3.13).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from rie import HostRie

EVENTS = Path(__file__).resolve().parents[1] / "events"
MB = 1_000_000


def _proxy(name: str, **changes: object) -> bytes:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event.update(changes)
    return json.dumps(event).encode()


RAW = {
    "3 ignored 1e6-digit integers": b'{"n":7,"a":%s,"b":%s,"c":%s}' % ((b"9" * MB,) * 3),
    "1400 ignored 4300-digit integers": b'{"n":7,"x":[%s]}' % b",".join([b"9" * 4300] * 1400),
    "3e6 ignored small integers": b'{"n":7,"x":[%s]}' % b",".join([b"1"] * (3 * MB - 10)),
    "a name repeated 1e6 times": b"{" + b'"x":1,' * MB + b'"n":7}',
    "490k objects, each with a repeated name": b'{"n":7,"x":[%s]}' % b",".join([b'{"":0,"":0}'] * 490_000),
    "refused: 3e6 empty arrays, 400 deep": b"[" + b",".join([b"[" * 400 + b"]" * 400] * 7490) + b"]",
    "6 MB of nesting": b"[" * (6 * MB),
    "6 MB ignored string of escapes": b'{"n":7,"x":"' + b"\\u00e9" * MB + b'"}',
    "n as a 2e6-digit string, mod 2**64-59": b'{"n":"%s","mod":18446744073709551557}' % (b"9" * 2 * MB),
}
APIGW = {
    "body: 3 ignored 1e6-digit integers": _proxy("apigw_v2", body='{"a":%s,"b":%s,"c":%s,"n":7}' % (("9" * MB,) * 3)),
    "body: 3e6 ignored small integers": _proxy("apigw_v2", body='{"n":7,"x":[%s]}' % ",".join(["1"] * (3 * MB - 2000))),
    "event: an ignored 6e6-digit integer": _proxy("apigw_v2")[:-1] + b',"x":%s}' % (b"9" * (6 * MB - 2000)),
    "event: 3e6 ignored empty arrays": _proxy("apigw_v2")[:-1] + b', "x": [%s]}' % b",".join([b"[" * 400 + b"]" * 400] * 7490),
    "body: n of 2e6 digits, no mod": _proxy("apigw_v2", body='{"n":%s}' % ("9" * 2 * MB)),
    "method: 3e6 quotes": _proxy("apigw_v1", httpMethod='"' * 3 * MB),
    "query: 1.5e6 repeats of n": _proxy("function_url", rawQueryString="n=1&" * (3 * MB // 2)),
    "query: n=13 and 6 MB of ignored %": _proxy("function_url", rawQueryString="n=13&x=" + "%" * (6 * MB - 2000)),
    "ALB: 999 ignored values of %, n=13": _proxy("alb", multiValueHeaders={}, headers=None,
                                                  multiValueQueryStringParameters={"x": ["%" * 6000] * 999, "n": ["13"]}),
    "query: n of 6e6 %": _proxy("function_url", rawQueryString="n=" + "%" * (6 * MB - 2000)),
    "ALB: n of 6e6 %": _proxy("alb", queryStringParameters={"n": "%" * (6 * MB - 2000)}),
    "ALB: 460k names with no values": _proxy("alb", multiValueHeaders={}, headers=None, multiValueQueryStringParameters={
        **{"%%%02X%x" % (i % 256, i // 256): [] for i in range(460_000)}, "n": ["7"]}),
    "ALB: 1.1e6 query values": _proxy("alb", multiValueHeaders={}, multiValueQueryStringParameters={"x": ["%"] * 1_100_000}),
    "ALB: ten 500k-char % keys": _proxy("alb", queryStringParameters={"%" * 500_000 + str(i): "%" for i in range(10)}),
    "body: 6 MB of nesting": _proxy("apigw_v2", body="[" * (6 * MB - 2000)),
    "body: bad base64, 6 MB": _proxy("apigw_v2", body="A" * (6 * MB - 2001), isBase64Encoded=True),
}


def timed(rie: HostRie, payload: bytes, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        status, _ = rie.invoke(payload, timeout=120)
        samples.append(time.perf_counter() - start)
        assert status == 200
    return statistics.median(samples)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", default=sys.executable)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    rows = ["| handler | event | size | time | minus a call of n=7 |", "|---|---|---|---|---|"]
    for handler, cases, good in (("raw", RAW, b'{"n":7}'), ("apigw", APIGW, (EVENTS / "apigw_v2.json").read_bytes())):
        with HostRie(f"fastfib.handlers.{handler}", python=args.python) as rie:
            floor = timed(rie, good, 5)
            for name, payload in cases.items():
                t = timed(rie, payload, args.repeats)
                rows.append(f"| {handler} | {name} | {len(payload) / MB:.1f} MB | {t:.3f} s | {t - floor:+.3f} s |")
    version = json.loads(
        __import__("subprocess").run([args.python, "-c", "import sys, json; print(json.dumps(sys.version.split()[0]))"],
                                     capture_output=True, text=True, check=True).stdout)  # fmt: skip
    print(f"RIE on the host, Python {version}, median of {args.repeats}")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
