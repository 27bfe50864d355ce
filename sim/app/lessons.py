"""The lessons of docs/lessons.md, per scenario, for the app's lesson panel and the printable
worksheet a class fills in.

A lesson belongs to the first scenario file its "Show, in this order." part names
(`scenarios/<stem>.yaml`). Its parts are the bold lead-ins of docs/lessons.md: "Learning goal.",
"Show, in this order.", "Ask.", "What the class should notice.", "What the model leaves out.".
Nothing here imports Solara.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown

from sim.program.disclaimer import DISCLAIMER
from sim.program.folders import ROOT

LESSONS_FILE = ROOT / "docs" / "lessons.md"
PARTS = ("Learning goal.", "Show, in this order.", "Ask.", "What the class should notice.",
         "What the model leaves out.")
_HEADING = re.compile(r"^## (Lesson .+)$", re.MULTILINE)
_PART = re.compile(r"^\*\*(" + "|".join(re.escape(p) for p in PARTS) + r")\*\*", re.MULTILINE)
_SCENARIO = re.compile(r"scenarios/([\w-]+)\.yaml")


@dataclass(frozen=True)
class Lesson:
    title: str
    scenario: str  # the stem of its scenario file
    parts: dict[str, str]  # part heading -> its markdown text

    def html(self, part: str) -> str:
        """One part as HTML (links to other docs become plain text: the app serves no docs)."""
        text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", self.parts.get(part, ""))
        return markdown.markdown(text)


def parse_lessons(text: str) -> list[Lesson]:
    """The lessons in the text of docs/lessons.md."""
    lessons = []
    heads = list(_HEADING.finditer(text))
    for i, head in enumerate(heads):
        body = text[head.end(): heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        body = body.split("\n---", 1)[0]
        marks = list(_PART.finditer(body))
        parts = {m.group(1): body[m.end(): marks[j + 1].start() if j + 1 < len(marks) else len(body)].strip()
                 for j, m in enumerate(marks)}
        found = _SCENARIO.search(parts.get("Show, in this order.", ""))
        if found:
            lessons.append(Lesson(head.group(1).strip(), found.group(1), parts))
    return lessons


@lru_cache(maxsize=4)
def _lessons(path: str, mtime_ns: int) -> dict[str, Lesson]:
    """Scenario stem -> lesson: its own lesson first, else the first lesson that shows it."""
    lessons = parse_lessons(Path(path).read_text(encoding="utf-8"))
    out = {lesson.scenario: lesson for lesson in reversed(lessons)}
    for lesson in lessons:
        for stem in _SCENARIO.findall(lesson.parts.get("Show, in this order.", "")):
            out.setdefault(stem, lesson)
    return out


def lesson_for(stem: str, path: Path = LESSONS_FILE) -> Lesson | None:
    """The lesson built on scenario `stem`, or None (also when docs/lessons.md is missing)."""
    if not path.is_file():
        return None
    return _lessons(str(path), path.stat().st_mtime_ns).get(stem)


def worksheet_html(title: str, lesson: Lesson | None, questions: list[str], columns: list[str],
                   rows: int = 8) -> str:
    """A printable worksheet: the lesson's goal, a table to fill in (one row per moment the
    class stops at; `columns` after 'time'), and the questions with room to answer."""
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in ["time (day hh:mm)", *columns, "what happened"])
    blank = "".join("<td></td>" for _ in range(len(columns) + 2))
    table = f"<table><tr>{head}</tr>" + f"<tr>{blank}</tr>" * rows + "</table>"
    goal = lesson.html("Learning goal.") if lesson else ""
    asked = "".join(f"<li>{e(q)}<div class='answer'></div></li>" for q in questions)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Worksheet — {e(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; font-size: 14pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 1em 0; }}
th, td {{ border: 1px solid #444; padding: 6px; height: 2em; font-size: 12pt; }}
.answer {{ border-bottom: 1px solid #888; height: 4em; }}
.stamp {{ color: #bf360c; font-weight: bold; }}
@media print {{ body {{ margin: 1cm; }} }}
</style></head><body>
<h1>Worksheet — {e(title)}</h1>
<p class="stamp">{e(DISCLAIMER)}</p>
<p>Name: ______________________ &nbsp; Date: ____________</p>
{"<h2>" + e(lesson.title) + "</h2>" + goal if lesson else ""}
<h2>Fill in as the run goes on</h2>
{table}
<h2>Questions</h2>
<ol>{asked}</ol>
</body></html>
"""
