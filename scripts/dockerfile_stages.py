"""Print a Dockerfile cut down to the stages that one target needs, for the classic builder.

Docker 20.10's classic builder builds every stage before the target, needed
or not (BuildKit skips them): `--target lambda` would also run the slim
image's strace tracing, which cannot run under qemu-user emulation (no
ptrace), and pull the debug base. The Makefile pipes this script's output to
`docker build -f - .`, so a build runs exactly the stages its target reaches
through `FROM <stage>` and `COPY --from=<stage>`, as BuildKit would:

    python3 scripts/dockerfile_stages.py lambda Dockerfile

The lines before the first FROM (global ARGs) are kept; stage order and
text are unchanged, so Docker's layer cache is shared with full builds.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?\s*$", re.I)
COPY_FROM = re.compile(r"^COPY\s+(?:.*\s)?--from=(\S+)", re.I)


def cut(text: str, target: str) -> str:
    """The preamble and the stages ``target`` depends on, in their original order.

    Raises ValueError when no stage is named ``target``.
    """
    preamble: list[str] = []
    stages: list[tuple[str, str, list[str]]] = []  # (name, base, lines)
    for line in text.splitlines(keepends=True):
        m = FROM.match(line.strip())
        if m:
            stages.append((m.group(2) or str(len(stages)), m.group(1), [line]))
        elif stages:
            stages[-1][2].append(line)
        else:
            preamble.append(line)
    names = {name for name, _, _ in stages}
    if target not in names:
        raise ValueError(f"no stage named {target!r} (stages: {', '.join(sorted(names))})")
    deps = {
        name: {base} | {m.group(1) for m in map(COPY_FROM.match, (ln.strip() for ln in lines)) if m}
        for name, base, lines in stages
    }
    needed, todo = set(), [target]
    while todo:
        name = todo.pop()
        if name in names and name not in needed:
            needed.add(name)
            todo.extend(deps[name])
    return "".join(preamble) + "".join("".join(lines) for name, _, lines in stages if name in needed)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: dockerfile_stages.py TARGET DOCKERFILE", file=sys.stderr)
        return 2
    try:
        sys.stdout.write(cut(Path(argv[2]).read_text(), argv[1]))
    except ValueError as exc:
        print(f"dockerfile_stages.py: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
