"""Check fastfib wheels before they reach dist/ (run by make wheels with the tools venv's Python).

For each wheel, every check below must hold, or the exit status is 1:

- its platform tag is manylinux2014 = manylinux_2_17 of one architecture,
  in the file name and in the WHEEL file;
- every shared object in it (``_core``, and any other extension such as an
  optional ``_ntt``) is an ELF of that architecture with the wheel's
  Python extension suffix, needs no GLIBC symbol version above 2.17, has
  RUNPATH exactly ``$ORIGIN/../gmpy2.libs`` (and no RPATH), and needs
  exactly the libgmp file that the gmpy2 wheel of the same Python and
  architecture bundles;
- METADATA's Requires-Dist pins gmpy2 to exactly that gmpy2 wheel's version.

The gmpy2 wheels are looked up in --gmpy2-wheels (the wheelhouse make wheels
downloads them into); a missing one is an error, never a skipped check.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import zipfile
from pathlib import Path

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

MAX_GLIBC = (2, 17)
RUNPATH = "$ORIGIN/../gmpy2.libs"
MACHINES = {"x86_64": "EM_X86_64", "aarch64": "EM_AARCH64"}
WHEEL_NAME = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)-(?P<py>cp3\d+)-(?P<abi>cp3\d+)-(?P<plat>[^-]+)\.whl$")


def libgmp_of(gmpy2_wheel: Path) -> str:
    """File name of the libgmp bundled in a gmpy2 wheel."""
    with zipfile.ZipFile(gmpy2_wheel) as zf:
        libs = [n.rsplit("/", 1)[1] for n in zf.namelist() if n.startswith("gmpy2.libs/libgmp-")]
    if len(libs) != 1:
        raise SystemExit(f"{gmpy2_wheel.name} bundles {len(libs)} libgmp files: {libs}")
    return libs[0]


def find_gmpy2_wheel(wheelhouse: Path, py: str, arch: str) -> Path:
    found = sorted(wheelhouse.glob(f"gmpy2-*-{py}-{py}-*_{arch}.whl"))
    if len(found) != 1:
        raise SystemExit(f"expected one gmpy2 wheel for {py} {arch} in {wheelhouse}, found {[p.name for p in found]}")
    return found[0]


def check_so(name: str, data: bytes, arch: str, py: str, libgmp: str) -> list[str]:
    problems = []
    suffix = f".cpython-{py[2:]}-{arch}-linux-gnu.so"
    if not name.endswith(suffix):
        problems.append(f"{name}: not a {suffix} extension")
    elf = ELFFile(io.BytesIO(data))
    if elf["e_machine"] != MACHINES[arch]:
        problems.append(f"{name}: ELF machine {elf['e_machine']}, not {MACHINES[arch]}")
    glibc = []
    needed, runpath, rpath = [], [], []
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for _, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    m = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", aux.name)
                    if m:
                        glibc.append((int(m[1]), int(m[2])))
        elif isinstance(section, DynamicSection):
            for tag in section.iter_tags():
                if tag.entry.d_tag == "DT_NEEDED":
                    needed.append(tag.needed)
                elif tag.entry.d_tag == "DT_RUNPATH":
                    runpath.append(tag.runpath)
                elif tag.entry.d_tag == "DT_RPATH":
                    rpath.append(tag.rpath)
    if not glibc:
        problems.append(f"{name}: no GLIBC symbol versions found")
    elif max(glibc) > MAX_GLIBC:
        problems.append(f"{name}: needs GLIBC_{'.'.join(map(str, max(glibc)))}, above {'.'.join(map(str, MAX_GLIBC))}")
    if runpath != [RUNPATH] or rpath:
        problems.append(f"{name}: RUNPATH {runpath} RPATH {rpath}, want RUNPATH exactly [{RUNPATH!r}] and no RPATH")
    gmp = [n for n in needed if "libgmp" in n]
    if gmp != [libgmp]:
        problems.append(f"{name}: needs {gmp}, want exactly [{libgmp!r}] (the gmpy2 wheel's)")
    return problems


def check_wheel(wheel: Path, wheelhouse: Path) -> list[str]:
    m = WHEEL_NAME.match(wheel.name)
    if not m:
        return [f"{wheel.name}: not a CPython wheel name"]
    py, plat = m["py"], m["plat"]
    arch = next((a for a in MACHINES if plat.endswith("_" + a)), None)
    if arch is None:
        return [f"{wheel.name}: platform {plat} is neither x86_64 nor aarch64"]
    problems = []
    want_tags = {f"manylinux2014_{arch}", f"manylinux_2_17_{arch}"}
    if set(plat.split(".")) != want_tags:
        problems.append(f"{wheel.name}: platform tags {plat}, want {'.'.join(sorted(want_tags))}")
    gmpy2_wheel = find_gmpy2_wheel(wheelhouse, py, arch)
    gmpy2_version = gmpy2_wheel.name.split("-")[1]
    libgmp = libgmp_of(gmpy2_wheel)
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        tags = {line.split(": ", 1)[1] for line in zf.read(info).decode().splitlines() if line.startswith("Tag: ")}
        if tags != {f"{py}-{py}-{t}" for t in want_tags}:
            problems.append(f"{wheel.name}: WHEEL says Tag {sorted(tags)}")
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        requires = [line.split(": ", 1)[1] for line in metadata.splitlines() if line.startswith("Requires-Dist: ")]
        gmpy2_requires = [r for r in requires if re.match(r"gmpy2\b", r)]
        if gmpy2_requires != [f"gmpy2=={gmpy2_version}"]:
            problems.append(f"{wheel.name}: Requires-Dist {gmpy2_requires}, want exactly ['gmpy2=={gmpy2_version}']")
        shared = [n for n in names if n.endswith(".so") or ".so." in n.rsplit("/", 1)[-1]]
        if not any(n.startswith("fastfib/_core.") for n in shared):
            problems.append(f"{wheel.name}: no fastfib/_core extension")
        for n in shared:
            problems += check_so(n, zf.read(n), arch, py, libgmp)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gmpy2-wheels", type=Path, required=True, help="directory of the target gmpy2 wheels")
    parser.add_argument("wheels", type=Path, nargs="+")
    args = parser.parse_args(argv)
    failed = 0
    for wheel in args.wheels:
        problems = check_wheel(wheel, args.gmpy2_wheels)
        for p in problems:
            print(f"check_wheels: {p}", file=sys.stderr)
        failed += bool(problems)
        if not problems:
            print(f"check_wheels: {wheel.name}: ok", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
