"""The usage chart as inline SVG, drawn on the server from daily samples: no JavaScript, no
chart library, readable by screen readers through its title, description and data table."""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 28


@dataclass(frozen=True)
class Sample:
    """Seat counts at the end of one day."""

    day: date
    total: int
    assigned: int


def daily_samples(initial: tuple[int, int], changes: Iterable[tuple[datetime, int, int]],
                  start: date, end: date) -> list[Sample]:
    """One sample per day from `start` to `end`: the counts after that day's last change.
    `initial` is (total, assigned) before `start`; `changes` are (time, total after,
    assigned after) in log order."""
    last_of_day: dict[date, tuple[int, int]] = {}
    for at, total, assigned in changes:
        last_of_day[at.date()] = (total, assigned)
    samples, state, day = [], initial, start
    while day <= end:
        state = last_of_day.get(day, state)
        samples.append(Sample(day, *state))
        day += timedelta(days=1)
    return samples


@dataclass(frozen=True)
class Chart:
    samples: list[Sample]
    threshold_percent: int
    y_max: int
    y_step: int
    total_path: str
    assigned_path: str
    threshold_path: str

    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT

    @property
    def y_ticks(self) -> list[tuple[float, int]]:
        return [(_y(v, self.y_max), v) for v in range(0, self.y_max + 1, self.y_step)]

    @property
    def x_labels(self) -> list[tuple[float, str]]:
        first, last = self.samples[0].day, self.samples[-1].day
        return [(float(LEFT), first.isoformat()), (float(WIDTH - RIGHT), last.isoformat())]

    @property
    def changes(self) -> list[Sample]:
        """The days whose counts differ from the day before, for the data table."""
        return [s for i, s in enumerate(self.samples)
                if i == 0 or (s.total, s.assigned) != (self.samples[i - 1].total,
                                                       self.samples[i - 1].assigned)]


def _x(index: int, count: int) -> float:
    """Day `index` of `count` spans [_x(index), _x(index + 1)]."""
    return LEFT + (WIDTH - LEFT - RIGHT) * index / count


def _y(value: float, y_max: int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / y_max)


def _step_path(values: list[float], y_max: int) -> str:
    """A step line: each day's value is held across that day's column."""
    count = len(values)
    parts = [f"M{_x(0, count):.1f},{_y(values[0], y_max):.1f}H{_x(1, count):.1f}"]
    for i, value in enumerate(values[1:], start=1):
        parts.append(f"V{_y(value, y_max):.1f}H{_x(i + 1, count):.1f}")
    return "".join(parts)


def _steps() -> Iterator[int]:
    """1, 2, 5, 10, 20, 50, …: tick steps people read easily."""
    magnitude = 1
    while True:
        yield from (magnitude, 2 * magnitude, 5 * magnitude)
        magnitude *= 10


def _scale(peak: int, max_ticks: int = 5) -> tuple[int, int]:
    """(y_max, step) with a tenth of headroom above `peak`, so a full pool's two lines stay
    apart from the frame, and at most `max_ticks` steps."""
    target = max(peak * 11 / 10, 1)
    step = next(s for s in _steps() if math.ceil(target / s) <= max_ticks)
    return math.ceil(target / step) * step, step


def build(samples: list[Sample], threshold_percent: int) -> Chart:
    y_max, y_step = _scale(max(max(s.total, s.assigned) for s in samples))
    return Chart(
        samples=samples,
        threshold_percent=threshold_percent,
        y_max=y_max,
        y_step=y_step,
        total_path=_step_path([s.total for s in samples], y_max),
        assigned_path=_step_path([s.assigned for s in samples], y_max),
        threshold_path=_step_path([s.total * threshold_percent / 100 for s in samples], y_max),
    )
