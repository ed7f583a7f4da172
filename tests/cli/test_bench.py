"""The benchmark command runs end to end and reports every figure (it asserts no timing)."""

import json

KEYS = {
    "dashboard_warm_ms",
    "dashboard_warm_p95_ms",
    "dashboard_cold_ms",
    "floor_ms",
    "dashboard_floor_ratio",
    "sql_statements_small",
    "sql_statements_large",
    "chart_render_ms",
    "api_actions_ms",
    "api_hours_ms",
    "api_actions_cold_ms",
    "network_cold_ms",
    "network_warm_ms",
    "network_floor_ratio",
    "network_sql_statements_small",
    "network_sql_statements_large",
}


def test_bench_prints_a_table_then_one_json_line(runner, tmp_path, iclei):
    result = runner.invoke(
        args=[
            "bench",
            "--actions",
            "40",
            "--pillars",
            "4",
            "--years",
            "3",
            "--entries",
            "300",
            "--people",
            "4",
            "--changes",
            "50",
            "--runs",
            "3",
            "--network-organisations",
            "12",
            "--network-actions",
            "6",
            "--network-entries",
            "40",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures.keys() >= KEYS
    assert figures["actions"] == 40 and figures["time_entries"] == 300
    assert set(figures["chart_render_ms"]) == {"status-by-pillar", "hours-by-year", "timeline"}
    # The same statements whatever the plan's size.
    # Cold: a fixed number (see tests/dashboard/test_dashboard.py), whatever the plan's size.
    assert figures["sql_statements_small"] == figures["sql_statements_large"] <= 20
    # A network of one member and one of twelve: the same statements.
    assert (figures["network_small_organisations"], figures["network_organisations"]) == (1, 12)
    assert figures["network_sql_statements_small"] == figures["network_sql_statements_large"]
    assert any(line.startswith("dashboard_warm_ms") for line in lines[:-1])
