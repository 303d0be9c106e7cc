"""``ketaclinic pk simulate`` (CONTRACTS §2, §4.5) and the reusable chart renderer."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ketaclinic import pk_cli
from ketaclinic.domain import pk

CONTRACT = [
    "--model",
    "kamp2020",
    "--route",
    "iv",
    "--dose-mg-per-kg",
    "0.5",
    "--duration-min",
    "40",
    "--weight-kg",
    "70",
]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="ketaclinic")
    pk_cli.register(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(["pk", "simulate", *argv])
        code = args.func(args)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_contract_command_prints_cmax_tmax_auc(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(CONTRACT, capsys)
    assert code == 0 and err == ""
    assert "Cmax      253.1 ng/mL" in out
    assert "Tmax      40.0 min" in out
    assert "AUC" in out and "analytic" in out
    assert "Krystal 1994" in out


def test_json_output_with_population_bands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([*CONTRACT, "--population", "200", "--seed", "3", "--hours", "12", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["model"] == "kamp2020" and data["dose_mg"] == 35 and data["dose_mg_per_kg"] == 0.5
    assert data["cmax_ng_ml"] == pytest.approx(253.05, abs=0.01)
    assert data["tmax_min"] == 40 and data["auc_ng_h_per_ml"] > 0
    population = data["population"]
    assert population["n"] == 200 and population["seed"] == 3 and population["variability_assumed"] is True
    assert population["cmax_ng_ml"]["p5"] < population["cmax_ng_ml"]["p50"] < population["cmax_ng_ml"]["p95"]
    bands = population["bands"]
    assert len(bands["t_min"]) == len(bands["p5"]) == len(bands["p95"]) == 721
    again = json.loads(run([*CONTRACT, "--population", "200", "--seed", "3", "--hours", "12", "--json"], capsys)[1])
    assert again == data


def test_text_output_with_population_metabolite_and_effect_site(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--model", "perez_ruixo2021", "--route", "intranasal", "--dose-mg", "56", "--population", "100"]
    code, out, _ = run([*argv, "--ke0-per-min", "0.3", "--threshold-ng-ml", "50", "--age-years", "70"], capsys)
    assert code == 0
    for text in ("Population  n = 100", "p95", "noresketamine", "Effect site ke0 0.3", "Above 50 ng/mL", "70 years"):
        assert text in out
    # Perez-Ruixo 2021 Table 4: noresketamine AUC 516 ng·h/mL at 56 mg; this encoding ~45 % high, never without caveat
    assert "CAVEAT: Noresketamine is apparent" in out and "516" in out


def test_metabolite_without_a_caveat_and_japanese_ancestry(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--model", "fanta2015", "--route", "iv", "--dose-mg", "20"], capsys)
    assert code == 0 and "S-norketamine" in out and "CAVEAT" not in out
    assert "Typical patient, plasma (sampling site not stated" in out
    code, out, _ = run(["--model", "clements1981", "--route", "iv", "--dose-mg", "20"], capsys)
    assert "Typical patient, venous plasma" in out  # Clements & Nimmo 1981 sampled venous blood
    argv = ["--model", "perez_ruixo2021", "--route", "intranasal", "--dose-mg", "56", "--japanese"]
    code, out, _ = run(argv, capsys)
    assert code == 0 and "Japanese ancestry" in out
    assert "Asian ancestry" in run([*argv[:-1], "--asian"], capsys)[1]
    data = json.loads(run([*argv, "--json"], capsys)[1])
    # Perez-Ruixo 2021 Table 4: 56 mg Cmax 94.5 ng/mL in Japanese subjects (FRn × 1.34)
    assert (
        data["subject"]["japanese"] and data["subject"]["asian"] and data["cmax_ng_ml"] == pytest.approx(94.5, rel=0.05)
    )
    assert data["metabolite"]["caveat"].startswith("Noresketamine")


def test_oral_predictions_are_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--route", "oral", "--dose-mg", "50"], capsys)
    assert code == 0 and "UNCERTAIN" in out
    code, out, _ = run(["--route", "sublingual", "--dose-mg", "25", "--json"], capsys)
    assert json.loads(out)["uncertain"] is True


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_writes_a_chart(suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"chart{suffix}"
    code, _, _ = run([*CONTRACT, "--population", "100", "--ke0-t-peak-min", "3", "--plot", str(path)], capsys)
    assert code == 0
    data = path.read_bytes()
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data and b"ng/mL" in data


def test_render_chart_is_reusable_and_deterministic() -> None:
    subject = pk.Subject(weight_kg=70)
    doses = [pk.Dose("intranasal", 28, start_min=t) for t in (0, 5, 10)]
    result = pk.simulate(doses, subject, "perez_ruixo2021", t_end_min=600)
    population = pk.simulate_population(doses, subject, "perez_ruixo2021", n=50, t_end_min=600)
    svg = pk_cli.render_chart(result, population, fmt="svg", doses=doses, title="84 mg, devices 5 min apart")
    assert svg == pk_cli.render_chart(result, population, fmt="svg", doses=doses, title="84 mg, devices 5 min apart")
    assert b"noresketamine" in svg
    short = pk.simulate([pk.Dose("iv", 20)], subject, "fanta2015", t_end_min=90)
    assert pk_cli.render_chart(short).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="fmt"):
        pk_cli.render_chart(short, fmt="pdf")


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--dose-mg", "10", "--weight-kg", "0"], "--weight-kg"),
        (["--dose-mg", "10", "--weight-kg", "-70"], "--weight-kg"),
        (["--dose-mg", "-1"], "--dose-mg"),
        (["--dose-mg-per-kg", "abc"], "--dose-mg-per-kg"),
        (["--dose-mg", "10", "--route", "rectal"], "--route"),
        (["--dose-mg", "10", "--model", "nope"], "--model"),
        (["--dose-mg", "10", "--model", "fanta2015", "--route", "oral"], "--route"),
        (["--dose-mg", "30", "--model", "perez_ruixo2021", "--route", "intranasal"], "--dose-mg"),
        (["--dose-mg-per-kg", "0.5", "--model", "perez_ruixo2021", "--route", "intranasal"], "--dose-mg-per-kg"),
        (["--dose-mg", "10", "--route", "oral", "--duration-min", "5"], "--duration-min"),
        (["--dose-mg", "10", "--hours", "0"], "--hours"),
        (["--dose-mg", "10", "--step-min", "0"], "--step-min"),
        (["--dose-mg", "10", "--step-min", "1e-6"], "--step-min"),
        (["--dose-mg", "10", "--population", "0"], "--population"),
        (["--dose-mg", "10", "--seed", "-1"], "--seed"),
        (["--dose-mg", "10", "--ke0-per-min", "0"], "--ke0-per-min"),
        (["--dose-mg", "10", "--ke0-t-peak-min", "100000"], "--ke0-t-peak-min"),
        (["--dose-mg", "10", "--plot", "chart.pdf"], "--plot"),
        (["--dose-mg", "10", "--plot", "/nonexistent-dir/chart.png"], "--plot"),
        (["--dose-mg", "10", "--dose-mg-per-kg", "1"], "--dose-mg"),
        ([], "--dose-mg"),
    ],
)
def test_bad_input_exits_2_naming_the_flag(argv: list[str], flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert flag in err
    assert "Traceback" not in err and out == ""


def test_choices_match_the_domain() -> None:
    assert pk_cli.MODEL_CHOICES == pk.MODEL_IDS
    assert pk_cli.ROUTE_CHOICES == pk.ROUTES


def test_building_the_parser_does_not_load_numpy() -> None:
    code = "import sys, argparse; from ketaclinic import pk_cli; print('numpy' in sys.modules)"
    argv = [sys.executable, "-c", code]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603 - fixed argv, no user input
    assert out.strip() == "False"
