"""The playground page in a real headless Chromium (Debian's ``chromium`` and ``chromedriver``,
driven by Selenium) against the real ``normalize playground`` server: typing a schema and a sample
gives events, a broken schema shows its error at its line, completion proposes what the JSON
Schema allows, and Infer drafts a working schema whose downloaded files pass ``normalize test``.

Each state is saved as a screenshot under ``build/screenshots/playground/`` (not committed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from engine.registry import json_schema
from engine.schematest import run_paths
from tests.test_playground import NORMALIZE, SKELETON_NAME, launch

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots" / "playground"
WAIT = 30.0
# Chromium's own connections (updates, sync, metrics) are refused by a closed network, and a root
# user needs --no-sandbox; none of it is what the page does.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1500,900",
)
TYPED_SCHEMA = (
    "{schema: Custom.Typed.App, parser: {fastmatch: {match: ['%{user} %{count}']}}, "
    "fields: [{name: user, type: string, indicators: [username]}, {name: count, type: int}]}"
)
INFER_SAMPLE = [
    "2024-03-15T10:00:01Z level=info user=alice ip=10.0.0.1 took=12 msg=login",
    "2024-03-15T10:00:02Z level=warn user=bob ip=10.0.0.2 took=340 msg=slow",
    "2024-03-15T10:00:03Z level=info user=carol ip=192.168.1.9 took=7 msg=logout",
    "2024-03-15T10:00:04Z level=error user=dave ip=10.0.0.4 took=1500 msg=timeout",
]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with launch() as base:
        yield base


@pytest.fixture(scope="module")
def downloads() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="playground-downloads-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(downloads: Path) -> Iterator[WebDriver]:
    profile = tempfile.mkdtemp(prefix="playground-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: WebDriver, url: str) -> Iterator[WebDriver]:
    """The page freshly loaded with its skeleton, after its first run; no error in its console."""
    browser.get(url + "/")
    until(browser, lambda: status(browser).startswith(f"{SKELETON_NAME}: 2 events, 1 reject,"))
    yield browser
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def until(driver: WebDriver, condition: Callable[[], Any]) -> Any:
    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(lambda _: condition())


def status(driver: WebDriver) -> str:
    return driver.find_element(By.ID, "status").text


class Keyboard:
    """Keys typed into whatever has the focus, as a user types them (CodeMirror's input is a
    hidden textarea, which WebDriver will not type into directly)."""

    def __init__(self, driver: WebDriver) -> None:
        self.driver = driver

    def send_keys(self, *keys: str) -> None:
        ActionChains(self.driver).send_keys(*keys).perform()

    def chord(self, modifier: str, key: str) -> None:
        ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()


def editor(driver: WebDriver, which: str) -> Keyboard:
    """Focus an editor, its cursor where it is, and type into it."""
    driver.execute_script(f"window.playground.{which}.focus()")
    return Keyboard(driver)


def value(driver: WebDriver, which: str) -> str:
    return driver.execute_script(f"return window.playground.{which}.getValue()")


def replace_all(driver: WebDriver, which: str, *keys: str) -> None:
    """Select everything in an editor, delete it, and type ``keys`` as a user would."""
    area = editor(driver, which)
    area.chord(Keys.CONTROL, "a")
    area.send_keys(Keys.DELETE)
    for key in keys:
        area.send_keys(key)
    area.send_keys(Keys.ESCAPE)  # close a completion list still open


def results(driver: WebDriver) -> list[str]:
    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#results li")]


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_typing_a_schema_and_a_sample_shows_their_events(page: WebDriver) -> None:
    replace_all(page, "schema", TYPED_SCHEMA)
    replace_all(page, "sample", "alice 3", Keys.ENTER, "bob x")
    until(page, lambda: status(page) == "Custom.Typed.App: 1 event, 1 reject, 0 skipped of 2 lines")
    first, second = results(page)
    assert first.startswith('1 event {"user":"alice","count":3,"p_log_type":"Custom.Typed.App",')
    assert first.endswith(',"p_any_usernames":["alice"]}')
    assert second == "2 reject bad_value: field 'count': 'x' is not a valid int"
    explain = page.find_element(By.ID, "explain").text
    assert explain.splitlines()[0] == "line 2 with Custom.Typed.App (fastmatch): reject"
    assert page.find_element(By.ID, "problems").text == "No problems found."
    shot(page, "1-typed-schema-and-sample")


def test_a_broken_schema_shows_its_error_at_its_line(page: WebDriver) -> None:
    page.execute_script("window.playground.schema.setCursor(10, 19)")  # the end of `    type: timestamp`
    area = editor(page, "schema")
    area.send_keys(": x")
    until(page, lambda: status(page) == "the schema has 1 error: see Problems")
    problem = page.find_element(By.CSS_SELECTOR, "#problems li.error").text
    assert problem == (
        "schema.yml:11:20: error: invalid YAML: mapping values are not allowed here [yaml-syntax]"
    )
    markers = page.execute_script(
        "const info = window.playground.schema.lineInfo(10);"
        "const m = info.gutterMarkers && info.gutterMarkers['CodeMirror-lint-markers'];"
        "return m ? m.className : null"
    )
    assert "CodeMirror-lint-marker-error" in markers
    assert error_marks(page) == [[10, 19]]  # 0-based, the colon after timestamp
    assert len(results(page)) == 3  # the last results stay while the schema is broken
    shot(page, "2-lint-error-at-its-line")
    area.send_keys(Keys.BACKSPACE * 3)
    until(page, lambda: status(page).startswith(f"{SKELETON_NAME}: 2 events"))
    assert page.find_element(By.ID, "problems").text == "No problems found."
    assert error_marks(page) == []
    # the server counts code points, CodeMirror UTF-16 units: a character beyond the BMP is two
    page.execute_script(
        "window.playground.schema.replaceRange("
        "' \"\\u{1F600}\\u{1F600}\" x', {line: 1, ch: 12}, {line: 1, ch: 999})"
    )
    until(page, lambda: page.find_elements(By.CSS_SELECTOR, "#problems li.error"))
    problem = page.find_element(By.CSS_SELECTOR, "#problems li.error").text
    assert problem.startswith("schema.yml:2:19: error: ")  # the x, 19th character
    until(page, lambda: error_marks(page) == [[1, 20]])  # the x, after 20 UTF-16 units


def error_marks(driver: WebDriver) -> list[list[int]]:
    """Where the lint error marks start in the schema editor: [line, column], 0-based, UTF-16."""
    return driver.execute_script(
        "return window.playground.schema.getAllMarks()"
        ".filter((m) => (m.className || '').split(' ').includes('CodeMirror-lint-mark-error'))"
        ".map((m) => { const at = m.find().from; return [at.line, at.ch]; })"
    )


def test_completion_proposes_what_the_json_schema_allows_here(page: WebDriver) -> None:
    page.execute_script("const cm = window.playground.schema; cm.setCursor(cm.lastLine() - 1, 999)")
    area = editor(page, "schema")
    area.send_keys(Keys.ENTER, "ind")
    area.chord(Keys.CONTROL, Keys.SPACE)
    hints = until(page, lambda: page.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li"))
    assert [h.text.split()[0] for h in hints] == ["indicators"]
    shot(page, "3-completion")
    area.send_keys(Keys.ENTER)
    assert current_line(page) == "    indicators:"
    area.send_keys(" [")
    area.chord(Keys.CONTROL, Keys.SPACE)
    hints = until(page, lambda: page.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li"))
    assert [h.text.split()[0] for h in hints] == json_schema()["$defs"]["indicator"]["enum"]
    area.send_keys(Keys.ENTER, "]")
    assert current_line(page) == "    indicators: [ip]"
    until(page, lambda: status(page) == f"{SKELETON_NAME}: 2 events, 1 reject, 0 skipped of 3 lines")
    assert '"p_any_ip_addresses":["10.0.0.1"]' in results(page)[0]
    assert page.find_element(By.ID, "problems").text == "No problems found."


def current_line(driver: WebDriver) -> str:
    return driver.execute_script(
        "const cm = window.playground.schema; return cm.getLine(cm.getCursor().line)"
    )


def test_infer_drafts_a_working_schema_and_its_files_pass_their_tests(
    page: WebDriver, downloads: Path
) -> None:
    keys: list[str] = []
    for line in INFER_SAMPLE:
        keys += [line, Keys.ENTER]
    replace_all(page, "sample", *keys)
    until(page, lambda: status(page).endswith("of 4 lines"))
    page.find_element(By.ID, "infer").click()
    until(page, lambda: "Drafted by `normalize infer`" in value(page, "schema"))
    until(page, lambda: status(page) == f"{SKELETON_NAME}: 4 events, 0 rejects, 0 skipped of 4 lines")
    drafted = value(page, "schema")
    assert f"schema: {SKELETON_NAME}" in drafted.splitlines()
    assert page.find_element(By.ID, "infer-report").is_displayed()
    first = json.loads(results(page)[0].removeprefix("1 event "))
    assert first["ip"] == "10.0.0.1" and first["took"] == 12
    assert first["p_any_ip_addresses"] == ["10.0.0.1"]
    shot(page, "4-inferred-schema")

    page.find_element(By.ID, "download-schema").click()
    page.find_element(By.ID, "download-tests").click()
    schema_file, tests_file = downloads / "App.yml", downloads / "App.tests.yml"
    # Chromium writes a download under a temporary name and renames it when it is complete
    until(page, lambda: schema_file.is_file() and tests_file.is_file())
    assert schema_file.read_text(encoding="utf-8") == drafted
    outcome = [(r.name, r.passed) for r in run_paths([downloads])]
    assert outcome and all(passed for _, passed in outcome)
    done = subprocess.run(
        [NORMALIZE, "lint", "--fail-on", "warning", str(schema_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
