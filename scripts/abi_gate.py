#!/usr/bin/env python3
"""ABI gate for the Lambda zip: will every ELF in the staged folder load on provided.al2023 as it is?

For every ELF file under the staged folder (what becomes /var/task), fail when it
  * needs a symbol version newer than the target has: GLIBC_x > 2.34, GLIBCXX_x > 3.4.29, CXXABI_x > 1.3.13,
    GCC_x > 11 (libgcc_s of GCC 11, Amazon Linux 2023);
  * needs a library (DT_NEEDED) that is neither part of glibc nor libgcc_s nor in the folder;
  * needs a bundled library that the dynamic loader would not find *first*: on Lambda LD_LIBRARY_PATH lists
    /lib64 and /usr/lib64 before /var/task/lib, so a bundled copy must be reached through DT_RPATH (not RUNPATH,
    which is searched after LD_LIBRARY_PATH);
  * carries DT_RUNPATH at all (its dependencies would be looked up in LD_LIBRARY_PATH first);
  * asks for a program interpreter other than the target's glibc loader;
  * links a shared Swift runtime, Foundation or ICU (the binary must use --static-swift-stdlib, FoundationEssentials).
Scripts (#!) must use /bin/sh. Prints one line per violation with the fix, then a summary; exit 1 on violation.

Uses binutils' readelf only (readelf -W: -h, -l, -d, -V, --dyn-syms).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

LAMBDA_LD_LIBRARY_PATH = "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"

# Sonames that glibc itself installs (provided.al2023 has glibc 2.34), plus libgcc_s.
GLIBC_SONAMES = {
    "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libresolv.so.2", "libutil.so.1",
    "libanl.so.1", "libBrokenLocale.so.1", "libmvec.so.1", "libthread_db.so.1", "libc_malloc_debug.so.0",
    "libnss_files.so.2", "libnss_dns.so.2", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
}
GCC_RUNTIME_SONAMES = {"libgcc_s.so.1"}
INTERPRETERS = {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"}
FORBIDDEN_NEEDED = re.compile(r"^(libswift.*|libFoundation.*|lib_Foundation.*|libicu.*|libdispatch\.so.*|libBlocksRuntime\.so.*)$")
SHELLS = {"/bin/sh"}


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


@dataclass
class Limits:
    glibc: str
    glibcxx: str
    cxxabi: str
    gcc: str

    def check(self, version: str) -> str | None:
        """Returns the limit a version name exceeds, or None."""
        for prefix, limit in (("GLIBCXX_", self.glibcxx), ("GLIBC_", self.glibc), ("CXXABI_", self.cxxabi),
                              ("GCC_", self.gcc)):
            if version.startswith(prefix):
                rest = version[len(prefix):]
                if not re.fullmatch(r"[\d.]+", rest):  # GLIBC_PRIVATE and the like
                    return f"{prefix}{limit} (private version)" if "PRIVATE" in rest else None
                return f"{prefix}{limit}" if version_tuple(rest) > version_tuple(limit) else None
        return None


@dataclass
class Elf:
    path: str          # absolute path on the build machine
    rel: str           # path inside the zip
    machine: str = ""
    interp: str | None = None
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    soname: str | None = None
    version_needs: dict[str, set[str]] = field(default_factory=dict)   # version -> symbols
    version_files: dict[str, str] = field(default_factory=dict)        # version -> library it is needed from

    @property
    def is_executable(self) -> bool:
        return self.interp is not None


def readelf(*args: str) -> str:
    result = subprocess.run(["readelf", "-W", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"readelf {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def load(path: str, rel: str) -> Elf:
    elf = Elf(path=path, rel=rel)
    header = readelf("-h", path)
    match = re.search(r"Machine:\s+(.+)", header)
    elf.machine = match.group(1).strip() if match else "?"
    match = re.search(r"\[Requesting program interpreter: (.+?)\]", readelf("-l", path))
    elf.interp = match.group(1) if match else None
    for line in readelf("-d", path).splitlines():
        if m := re.search(r"\(NEEDED\)\s+Shared library: \[(.+)\]", line):
            elf.needed.append(m.group(1))
        elif m := re.search(r"\(RPATH\)\s+Library rpath: \[(.*)\]", line):
            elf.rpath = [p for p in m.group(1).split(":") if p]
        elif m := re.search(r"\(RUNPATH\)\s+Library runpath: \[(.*)\]", line):
            elf.runpath = [p for p in m.group(1).split(":") if p]
        elif m := re.search(r"\(SONAME\)\s+Library soname: \[(.+)\]", line):
            elf.soname = m.group(1)
    # Version needs: "  0x0010: Version: 1  File: libm.so.6  Cnt: 2" then "  0x0020:   Name: GLIBC_2.35  Flags: ..."
    current_file = None
    in_needs = False
    for line in readelf("-V", path).splitlines():
        if "Version needs section" in line:
            in_needs = True
            continue
        if in_needs and line.startswith("Version ") and "needs" not in line:
            in_needs = False
        if not in_needs:
            continue
        if m := re.search(r"File: (\S+)\s+Cnt:", line):
            current_file = m.group(1)
        elif m := re.search(r"Name: (\S+)\s+Flags:", line):
            elf.version_needs.setdefault(m.group(1), set())
            elf.version_files[m.group(1)] = current_file or "?"
    # Which undefined symbols use each version (for the message).
    for line in readelf("--dyn-syms", path).splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[6] == "UND" and "@" in parts[7]:
            name, _, version = parts[7].partition("@")
            version = version.lstrip("@").split(" ")[0]
            version = re.sub(r"\s*\(\d+\)$", "", version)
            if version in elf.version_needs:
                elf.version_needs[version].add(name)
    return elf


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help="the staged folder: the zip's root, mounted at /var/task on Lambda")
    parser.add_argument("--task-root", default="/var/task")
    parser.add_argument("--max-glibc", default="2.34")
    parser.add_argument("--max-glibcxx", default="3.4.29")
    parser.add_argument("--max-cxxabi", default="1.3.13")
    parser.add_argument("--max-gcc", default="11")
    parser.add_argument("--ld-library-path", default=LAMBDA_LD_LIBRARY_PATH)
    parser.add_argument("--quiet", action="store_true", help="only violations and the verdict")
    parser.add_argument("--print-system-sonames", action="store_true",
                        help="print the sonames the target provides (glibc, libgcc_s) and exit")
    if "--print-system-sonames" in sys.argv[1:]:
        print("\n".join(sorted(GLIBC_SONAMES | GCC_RUNTIME_SONAMES)))
        return 0
    args = parser.parse_args()

    root = os.path.realpath(args.folder)
    if not os.path.isdir(root):
        print(f"abi-gate: FAIL {args.folder}: not a folder", file=sys.stderr)
        return 2
    limits = Limits(args.max_glibc, args.max_glibcxx, args.max_cxxabi, args.max_gcc)
    violations: list[str] = []

    def fail(rel: str, what: str, fix: str) -> None:
        violations.append(f"abi-gate: FAIL {rel}: {what} -- {fix}")

    def to_zip(path: str) -> str | None:
        """Maps an absolute runtime path (/var/task/...) to the staged folder, or None if outside the zip."""
        task = args.task_root.rstrip("/")
        if path == task or path.startswith(task + "/"):
            return os.path.join(root, os.path.relpath(path, task)) if path != task else root
        return None

    elfs: list[Elf] = []
    for directory, _, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                target = os.path.realpath(path)
                if not target.startswith(root + os.sep):
                    fail(rel, f"symlink points outside the zip ({os.readlink(path)})", "copy the file instead")
                continue
            if is_elf(path):
                elfs.append(load(path, rel))
            else:
                with open(path, "rb") as handle:
                    first = handle.readline(200)
                if first.startswith(b"#!"):
                    shell = first[2:].strip().split(b" ")[0].decode(errors="replace")
                    if shell not in SHELLS:
                        fail(rel, f"script interpreter {shell}", "use #!/bin/sh (provided.al2023 guarantees it)")

    if not elfs:
        fail(".", "no ELF file found", "stage the binary first")
    machines = {e.machine for e in elfs}
    if len(machines) > 1:
        fail(".", f"mixed architectures {sorted(machines)}", "build every ELF for the one target architecture")

    executables = [e for e in elfs if e.is_executable]
    ld_path = [p for p in args.ld_library_path.split(":") if p]

    def search_dirs(elf: Elf) -> list[tuple[str, str]]:
        """Directories the loader tries for elf's DT_NEEDED, in order, as (runtime dir, how)."""
        origin = os.path.join(args.task_root, os.path.dirname(elf.rel)).rstrip("/")
        expand = lambda p: os.path.normpath(p.replace("$ORIGIN", origin).replace("${ORIGIN}", origin))
        dirs: list[tuple[str, str]] = []
        if not elf.runpath:
            dirs += [(expand(p), "DT_RPATH") for p in elf.rpath]
            if not elf.is_executable:   # the loading executable's DT_RPATH also applies to its libraries
                for exe in executables:
                    if not exe.runpath:
                        exe_origin = os.path.join(args.task_root, os.path.dirname(exe.rel)).rstrip("/")
                        dirs += [(os.path.normpath(p.replace("$ORIGIN", exe_origin)), f"DT_RPATH of {exe.rel}")
                                 for p in exe.rpath]
        dirs += [(p, "LD_LIBRARY_PATH") for p in ld_path]
        dirs += [(os.path.normpath(p.replace("$ORIGIN", origin)), "DT_RUNPATH") for p in elf.runpath]
        return dirs

    for elf in elfs:
        if elf.interp is not None and elf.interp not in INTERPRETERS:
            fail(elf.rel, f"program interpreter {elf.interp}", "link against the system glibc loader")
        if elf.runpath:
            fail(elf.rel, f"DT_RUNPATH {':'.join(elf.runpath)} (searched after LD_LIBRARY_PATH, so /lib64 and "
                 "/usr/lib64 copies win)",
                 "relink with -Xlinker --disable-new-dtags, or patchelf --force-rpath --set-rpath '$ORIGIN'")
        for version, symbols in sorted(elf.version_needs.items()):
            exceeded = limits.check(version)
            if exceeded:
                names = ", ".join(sorted(symbols)[:6]) or "(no symbol named)"
                fail(elf.rel, f"needs {version} from {elf.version_files.get(version)} (symbols: {names}); target "
                     f"allows at most {exceeded}",
                     "define the symbol locally (scripts/compat/lambda_compat.c), link the library statically, or "
                     "bundle a build made against an older ABI")
        for needed in elf.needed:
            if needed in GLIBC_SONAMES or needed in GCC_RUNTIME_SONAMES:
                continue
            if FORBIDDEN_NEEDED.match(needed):
                fail(elf.rel, f"needs {needed} (shared Swift runtime / Foundation / ICU)",
                     "build with --static-swift-stdlib and import FoundationEssentials, not Foundation")
                continue
            found = None
            for directory, how in search_dirs(elf):
                staged = to_zip(directory)
                if staged is None:
                    if how == "LD_LIBRARY_PATH" and directory in ("/lib64", "/usr/lib64", "/var/lang/lib"):
                        found = ("system-first", directory, how)
                        break
                    continue
                if os.path.isfile(os.path.join(staged, needed)):
                    found = ("zip", directory, how)
                    break
            in_zip = any(os.path.basename(e.rel) == needed or e.soname == needed for e in elfs)
            if found and found[0] == "zip" and found[2].startswith("DT_RPATH"):
                continue
            if not in_zip:
                fail(elf.rel, f"needs {needed}, which is neither in the zip nor part of glibc/libgcc_s",
                     "copy it (and its own dependencies) into lib/ or link it statically")
            else:
                fail(elf.rel, f"needs {needed}: the bundled copy is not reached through DT_RPATH, so Lambda's "
                     "/lib64 or /usr/lib64 copy (or none) is loaded first",
                     "link with -Xlinker --disable-new-dtags -Xlinker -rpath -Xlinker '$ORIGIN/lib' (executables) "
                     "or patchelf --force-rpath --set-rpath '$ORIGIN' (libraries in lib/)")

    if not args.quiet or violations:
        for elf in elfs:
            glibc = max((v for v in elf.version_needs if re.fullmatch(r"GLIBC_[\d.]+", v)),
                        key=lambda v: version_tuple(v), default="-")
            cxx = max((v for v in elf.version_needs if re.fullmatch(r"GLIBCXX_[\d.]+", v)),
                      key=lambda v: version_tuple(v), default="-")
            path_note = f"RPATH={':'.join(elf.rpath)}" if elf.rpath else "no RPATH"
            if elf.runpath:
                path_note += f" RUNPATH={':'.join(elf.runpath)}"
            print(f"abi-gate: {elf.rel}: {elf.machine}; max {glibc}, GLIBCXX {cxx}; {path_note}; "
                  f"needs {' '.join(elf.needed) or '(nothing)'}")
    for line in violations:
        print(line, file=sys.stderr)
    if violations:
        print(f"abi-gate: {len(violations)} violation(s) in {root}: this zip would not load on provided.al2023",
              file=sys.stderr)
        return 1
    print(f"abi-gate: PASS {len(elfs)} ELF file(s) in {root} (GLIBC <= {limits.glibc}, GLIBCXX <= {limits.glibcxx}, "
          f"libraries resolved inside the zip or from glibc/libgcc_s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
