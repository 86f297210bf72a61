"""The README and docs/ stay short, linked and true to the repository.

- README.md is at most 200 lines and links every docs/*.md file;
- every `make TARGET` that README.md or docs/ names is a target of the Makefile;
- every repository path they name (scripts/, tools/, .ci/run, tests/, src/, ...) exists;
- every relative link, and its #anchor, resolves;
- every figure the README states (a time, a size, a ratio) sits in a paragraph
  that links the docs section holding that figure, and that section names the
  `make bench...` command that produced it;
- the Python examples in README.md and docs/, and the package docstring's, run.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import fastfib

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
MAX_README_LINES = 200

_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", re.M)
# A repository path: one of these folders and something in it (a glob is allowed).
_PATH = re.compile(r"(?<![\w./$-])((?:scripts|tools|tests|src|csrc|docker|events|docs|\.ci)/[\w.*/-]*[\w*])")
# A figure: a number with a unit of time or size, or a ratio such as 0.58x.
_FIGURE = re.compile(r"(?<![\w.])\d(?:[\d.,]*\d)?(?: ?(?:ns|µs|us|ms|s|KB|kB|MB|MiB|GB|GiB)\b|×)")
_BENCH = re.compile(r"`make (bench[\w-]*)")


def _prose(text: str) -> str:
    """The text without its fenced code blocks."""
    return _FENCE.sub("", text)


def _code(text: str) -> list[str]:
    """Every line of the fenced code blocks, comments cut, and every inline code span."""
    lines = []
    for block in _FENCE.findall(text):
        lines += [line.split(" #", 1)[0] for line in block.splitlines()[1:-1]]
    return lines + _INLINE_CODE.findall(_prose(text))


def make_targets_named(text: str) -> set[str]:
    """The targets of every `make ...` command in the code of a Markdown text."""
    targets = set()
    for snippet in _code(text):
        for match in re.finditer(r"(?<![\w$-])make[ \t]+(.*)", snippet):
            for token in match.group(1).split():
                if token.startswith("#") or any(c in token for c in "|;&)`"):
                    break
                if token.startswith("-") or "=" in token or "$(" in token:
                    continue  # a flag, a variable, or a nested $(make ...)
                if not re.fullmatch(r"[a-z][a-z0-9-]*", token):
                    break
                targets.add(token)
    return targets


def makefile_targets() -> set[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"([^\s#:=][^:=]*?):(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def paths_named(text: str) -> set[str]:
    return set(_PATH.findall(text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def sections(path: Path) -> dict[str, str]:
    """Each heading's anchor in a Markdown file, with the text of its section (up to the next heading of its level or above)."""
    text = _prose(path.read_text())
    headings = list(_HEADING.finditer(text))
    found: dict[str, str] = {}
    for i, heading in enumerate(headings):
        level = len(heading.group(1))
        end = next((h.start() for h in headings[i + 1 :] if len(h.group(1)) <= level), len(text))
        anchor = base = slug(heading.group(2))
        k = 0
        while anchor in found:  # repeated headings get -1, -2, ...
            k += 1
            anchor = f"{base}-{k}"
        found[anchor] = path.read_text() if i == 0 and level == 1 else text[heading.start() : end]
    return found


def relative_links(path: Path) -> list[tuple[Path, str]]:
    """(target file, anchor or "") of every relative link in a Markdown file."""
    links = []
    for target in _LINK.findall(_prose(path.read_text())):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        links.append(((path.parent / file).resolve() if file else path, anchor))
    return links


def blocks(text: str) -> list[str]:
    """Paragraphs, list items and table rows of a Markdown text, outside code blocks."""
    out: list[str] = []
    for paragraph in re.split(r"\n[ \t]*\n", _prose(text)):
        out += [b for b in re.split(r"\n(?=[ \t]*(?:[-*] |\d+\. |\|))", paragraph) if b.strip()]
    return out


def figure_problems(text: str, base: Path) -> list[str]:
    """Figures in ``text`` whose block does not link a section that holds them and names its `make bench...`."""
    targets = makefile_targets()
    problems = []
    for block in blocks(text):
        figures = _FIGURE.findall(block)
        if not figures:
            continue
        linked = []
        for target in _LINK.findall(block):
            file, _, anchor = target.partition("#")
            page = (base / file).resolve()
            if anchor and page.suffix == ".md" and page.exists():
                linked.append(" ".join(sections(page).get(anchor, "").split()))
        for figure in figures:
            if not any(figure in section and any(t in targets for t in _BENCH.findall(section)) for section in linked):
                problems.append(f"{figure!r} in {' '.join(block.split())[:80]!r}...")
    return problems


def test_readme_is_at_most_200_lines() -> None:
    assert len(README.read_text().splitlines()) <= MAX_README_LINES


def test_every_make_target_named_exists() -> None:
    targets = makefile_targets()
    named = {(page.name, t) for page in PAGES for t in make_targets_named(page.read_text())}
    assert {"run", "test", "test-fast", "bench"} <= {t for _, t in named}  # the check sees the commands
    assert sorted((page, t) for page, t in named if t not in targets) == []


def test_every_path_named_exists() -> None:
    named = {(page.name, p) for page in PAGES for p in paths_named(page.read_text())}
    assert ("README.md", ".ci/run") in named
    missing = [(page, p) for page, p in named if not (list(ROOT.glob(p)) if "*" in p else (ROOT / p).exists())]
    assert sorted(missing) == []


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in [*PAGES, ROOT / "CHANGES.md"]:
        for file, anchor in relative_links(page):
            if not file.exists():
                broken.append(f"{page.name}: {file}")
            elif anchor and file.suffix == ".md" and anchor not in sections(file):
                broken.append(f"{page.name}: {file.name}#{anchor}")
    assert broken == []


def test_every_doc_is_linked_from_the_readme() -> None:
    linked = {file for file, _ in relative_links(README)}
    assert len(DOCS) >= 7
    assert [doc.name for doc in DOCS if doc.resolve() not in linked] == []


def test_every_readme_figure_points_to_its_benchmark() -> None:
    assert len(_FIGURE.findall(_prose(README.read_text()))) >= 3  # the check sees the figures
    assert figure_problems(README.read_text(), ROOT) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_examples(page: Path) -> None:
    examples = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    if page == README:
        assert examples
    threads = fastfib.get_threads()
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    try:
        for i, example in enumerate(examples):
            runner.run(parser.get_doctest(example, {}, f"{page.name} block {i}", str(page), 0))
    finally:
        fastfib.set_threads(threads)  # an example may change the thread count
    assert runner.summarize(verbose=False).failed == 0


def test_package_docstring_examples() -> None:
    assert doctest.testmod(fastfib, optionflags=doctest.ELLIPSIS).failed == 0


def test_the_checks_can_fail() -> None:
    """Each helper finds what it is meant to find in a text made to fail."""
    assert make_targets_named("`make no-such-target X=1`") == {"no-such-target"}
    assert make_targets_named("```bash\nmake lambda $(make -s offline-bases | tail -n 1)  # make sure\n```\n") == {
        "lambda",
        "offline-bases",
    }
    assert paths_named("see `scripts/nothing.sh` and tools/bench_rie.py") == {"scripts/nothing.sh", "tools/bench_rie.py"}
    assert slug("Event rules: how `events` are decoded") == "event-rules-how-events-are-decoded"
    assert figure_problems("It takes 0.58× the time.", ROOT)
    assert figure_problems("It takes 0.42× the time ([x](docs/performance.md#core-benchmark)).", ROOT)
    assert not figure_problems("It takes 0.40× the time ([x](docs/performance.md#core-benchmark)).", ROOT)
