"""AnalysisSettings: one frozen object holds every threshold; files, CLI, result and batch carry it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from retrogait.analysis import analyze
from retrogait.analysis.settings import DEFAULT, AnalysisSettings, field_docs
from retrogait.batch.settings import make_settings
from retrogait.errors import InputFileError, UsageProblem
from retrogait.io.loading import load_recording
from retrogait.io.settings_file import read_settings, settings_toml

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "mixed_session.rgt"


def test_every_setting_has_a_unit_and_a_reason_and_round_trips():
    docs = field_docs()
    assert len(docs) >= 50
    assert all(unit and len(why) > 10 for _, _, unit, why in docs)
    assert AnalysisSettings.from_dict(DEFAULT.to_dict()) == DEFAULT
    assert DEFAULT.changed() == {}


def test_the_printed_defaults_read_back_as_the_defaults(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(settings_toml())
    assert read_settings(f) == DEFAULT
    f.write_text("[stance]\ngyr_threshold = 0.8\n")
    s = read_settings(f)
    assert s.stance.gyr_threshold == 0.8 and s.changed() == {"stance": {"gyr_threshold": 0.8}}


@pytest.mark.parametrize("text, words", [
    ("[stanse]\nwindow = 0.1\n", "unknown settings group [stanse]"),
    ("[stance]\nwindw = 0.1\n", "unknown setting stance.windw"),
    ("[stance]\nwindow = -0.1\n", "stance.window must be greater than 0"),
    ("[stance]\nwindow = 'x'\n", "stance.window must be a number"),
    ("[stance]\ncycle_ratio = 1.5\n", "stance.cycle_ratio must be at most 1"),
    ("[kinematics]\nchunk_samples = 10.5\n", "kinematics.chunk_samples must be a whole number"),
    ("[stance\n", "not a valid TOML file"),
])
def test_a_bad_settings_file_is_one_line_naming_the_file_and_key(tmp_path, text, words):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(InputFileError) as exc:
        read_settings(f)
    msg = str(exc.value)
    assert msg.startswith(str(f)) and words in msg and "\n" not in msg


def test_settings_are_validated_when_built_in_code():
    with pytest.raises(UsageProblem, match="strides.min_lift"):
        replace(DEFAULT, strides=replace(DEFAULT.strides, min_lift=float("nan")))


def test_a_setting_changes_the_analysis_and_the_result_says_which():
    rec = load_recording(SAMPLE)
    base = analyze(rec)
    assert base.settings == DEFAULT and base.to_dict(strides=False)["settings"] == DEFAULT.to_dict()
    # a displacement threshold above every stride of the session: only in-place/lifted strides stay
    strict = replace(DEFAULT, strides=replace(DEFAULT.strides, min_displacement=5.0, min_lift=0.5))
    from retrogait.errors import NoGaitError
    with pytest.raises(NoGaitError):
        analyze(rec, settings=strict)
    # a finer one keeps the same strides: the defaults are not on a knife edge for this session
    loose = replace(DEFAULT, strides=replace(DEFAULT.strides, min_displacement=0.07))
    assert len(analyze(rec, settings=loose).strides) == len(base.strides)


def test_cli_settings_file_is_used_and_echoed_in_json(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[direction]\nswitch_prob = 0.2\n")
    out = subprocess.run([sys.executable, "-m", "retrogait", "analyze", str(SAMPLE), "--json", "--settings", str(f)],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["settings"]["direction"]["switch_prob"] == 0.2
    printed = subprocess.run([sys.executable, "-m", "retrogait", "analyze", "--print-settings"],
                             capture_output=True, text=True, check=True).stdout
    assert AnalysisSettings.from_dict(tomllib.loads(printed)) == DEFAULT
    bad = subprocess.run([sys.executable, "-m", "retrogait", "analyze", str(SAMPLE), "--settings",
                          str(tmp_path / "none.toml")], capture_output=True, text=True)
    assert bad.returncode != 0 and "no such settings file" in bad.stderr and "Traceback" not in bad.stderr


def test_batch_settings_id_follows_the_analysis_settings():
    default = make_settings()
    changed = make_settings(analysis=replace(DEFAULT, gait=replace(DEFAULT.gait, run_duty=0.45)))
    assert default.analysis == {} and changed.analysis == {"gait": {"run_duty": 0.45}}
    assert default.settings_id != changed.settings_id
    assert changed.analysis_settings().gait.run_duty == 0.45


def test_stages_run_alone_on_a_simulated_walk():
    """The stance stage alone finds one stance per step of the simulated walk and its standing."""
    from retrogait.analysis import frames
    from retrogait.analysis.ranges import row_norm
    from retrogait.analysis.stance import find_stances, gyro_energy
    from retrogait.simulator import Scenario, Stand, Walk, simulate

    sim = simulate(Scenario(segments=[Stand(3), Walk("backward", n_strides=12, speed=0.6), Stand(3)]), seed=2,
                   trajectory=False)
    s = sim.recording.streams[0]
    acc_n, gyr_n = row_norm(s.acc), row_norm(s.gyr)
    st = find_stances(s.acc, gyr_n, acc_n, gyro_energy(gyr_n, s.rate), frames.split_at_gaps(s.t), s.rate)
    assert len(st) == 12 + 1  # standing + one stance after each of the 12 strides (the last one: standing)
    assert not st.rolling.any()  # a walking foot comes to rest
    # each stance lies on the ground: after the stride's initial contact, before the next toe-off
    t_ic, t_tc = sim.truth.strides.t_ic, sim.truth.strides.t_tc
    assert np.all(s.t[st.starts[1:]] >= t_ic) and np.all(s.t[st.stops[1:-1] - 1] <= t_tc[1:])


def test_peaks_are_those_of_scipy_find_peaks():
    """The analysis finds swing peaks without importing scipy.signal; same rule, same peaks."""
    from scipy.signal import find_peaks as scipy_find_peaks

    from retrogait.analysis.peaks import find_peaks

    rng = np.random.default_rng(0)
    for trial in range(400):
        x = np.round(rng.standard_normal(int(rng.integers(0, 150))) * 3) / 2  # plateaus and ties
        height = float(rng.normal()) if trial % 2 else None
        distance = float(rng.uniform(1, 20)) if trial % 3 else None
        np.testing.assert_array_equal(find_peaks(x, height, distance),
                                      scipy_find_peaks(x, height=height, distance=distance)[0])


def test_window_filters_are_those_of_scipy_ndimage():
    from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

    from retrogait.analysis.filters import PIECE, moving_mean, running_max, running_min

    rng = np.random.default_rng(1)
    for trial in range(60):
        n = int(rng.integers(1, 2 * PIECE + 7 if trial % 20 == 0 else 400))
        size = int(rng.integers(0, 60)) * 2 + 1
        x = rng.standard_normal(n) * 3 + 5
        np.testing.assert_array_equal(running_max(x, size), maximum_filter1d(x, size, mode="nearest"))
        np.testing.assert_array_equal(running_min(x > 5, size), minimum_filter1d(x > 5, size, mode="nearest"))
        np.testing.assert_array_equal(running_min(x, size), minimum_filter1d(x, size, mode="nearest"))
        # a cumulative sum per piece instead of a running sum: equal to ~1e-11 relative
        np.testing.assert_allclose(moving_mean(x, size), uniform_filter1d(x, size, mode="nearest"), rtol=1e-10)


def test_analyze_imports_no_scipy():
    """scipy's import costs more than analysing a 3-minute recording; the analysis does without it."""
    code = ("import sys, contextlib, io\nfrom retrogait.cli import main\n"
            f"with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['analyze', {str(SAMPLE)!r}])\n"
            "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.')))")
    # the user's default path for a short recording (numpy; the compiled kernels' numba imports scipy)
    env = {**os.environ, "RETROGAIT_COMPILED": "auto"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "[]"


def test_the_settings_page_is_current():
    """docs/settings.md is generated from the settings' own metadata; regenerate it with
    ``python3 -c "from retrogait.io.settings_file import settings_markdown; print(settings_markdown(), end='')" > docs/settings.md``."""
    from retrogait.io.settings_file import settings_markdown

    page = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
    assert page.read_text() == settings_markdown()


def test_incline_interval_ranks_are_scipys_binomial_quantiles():
    from scipy import stats

    from retrogait.analysis.session_groups import median_rank_bounds

    for n in list(range(1, 400)) + [5000, 60001]:
        assert median_rank_bounds(n) == (int(stats.binom.ppf(0.025, n, 0.5)), int(stats.binom.isf(0.025, n, 0.5)))
