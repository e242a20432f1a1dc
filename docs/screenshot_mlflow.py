"""Screenshot of a study in the MLflow UI (docs/img/mlflow_runs.png), with headless Chromium.

    make dashboard STUDY=fall &                       # the MLflow UI on 127.0.0.1:5000
    python -m venv /tmp/shot && /tmp/shot/bin/pip install playwright
    /tmp/shot/bin/python docs/screenshot_mlflow.py --browser /usr/bin/chromium   # apt-get install chromium

Not a project dependency: it only makes the README's picture. It opens the study's experiment, expands the study's
parent run to show its trial runs with weight, ratio and score columns, and saves the page.
"""

from __future__ import annotations

import argparse
import re

from playwright.sync_api import sync_playwright

COLUMNS = ("weight", "ratio", "mean_class_accuracy", "recall.fall", "synthetic_clips")
HIDDEN = ("Dataset", "Source", "Models")  # empty for these runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--experiment", default="1")
    parser.add_argument("--browser", default="/usr/bin/chromium")
    parser.add_argument("--out", default="docs/img/mlflow_runs.png")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.browser, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 600})
        page.goto(f"{args.url}/#/experiments/{args.experiment}/runs")
        page.wait_for_selector("text=study", timeout=60_000)
        for close in page.get_by_role("button", name="Close").all():  # the assistant side panel, if shown
            if close.is_visible():
                close.click()
        page.locator("button[data-component-id*='runnamecellrenderer']").first.click()  # expand the study's trials
        page.wait_for_selector("text=trial 0", timeout=30_000)
        page.get_by_test_id("column-selection-dropdown").first.click()
        search = page.get_by_placeholder("Search columns")
        for column in COLUMNS + HIDDEN:
            search.fill(column)
            page.wait_for_timeout(500)
            node = page.locator(".du-bois-light-tree-title", has_text=re.compile(f"^{re.escape(column)}$")).first
            if column in COLUMNS or node.count():
                node.click()
        page.keyboard.press("Escape")
        page.wait_for_timeout(1500)
        page.screenshot(path=args.out)
        browser.close()


if __name__ == "__main__":
    main()
