"""The plan file (``PLANS/<plan_id>.toml``): a strict, frozen model of one plan's rules.

An unknown or misspelled key, a wrong type or an out-of-range value is a :class:`PlanConfigError` naming the
file and the key. Sections that later rules need (true-up, vesting, distributions) are added as new
sub-models; every section has defaults, so an older plan file stays valid.

Examples
--------
>>> plan = parse_plan_text('plan_id = "acme"\\nname = "Acme"\\n[match]\\n'
...     'tiers = [{ up_to_pct = 3, rate_pct = 100 }, { up_to_pct = 5, rate_pct = 50 }]', "acme.toml")
>>> [(t.up_to_bp, t.rate_bp) for t in plan.match.tiers]
[(300, 10000), (500, 5000)]
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

if TYPE_CHECKING:
    from schemas.profile import ImportProfile

MAX_MATCH_RATE_PCT = Decimal(1000)


M = TypeVar("M", bound="BaseModel")


class PlanConfigError(ValueError):
    """A plan file that cannot be used; the message names the file and what is wrong."""


def _to_decimal(value: object) -> object:
    # TOML integers arrive as int and floats as Decimal (parse_float=Decimal): accept both, never bool.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def _two_places(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most 2 decimal places")
    return value


Percent = Annotated[Decimal, BeforeValidator(_to_decimal)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class MatchTier(_Strict):
    """``rate_pct`` % of the deferral that falls between the previous tier's ``up_to_pct`` and this one's."""

    up_to_pct: Percent = Field(gt=0, le=100)
    rate_pct: Percent = Field(ge=0, le=MAX_MATCH_RATE_PCT)

    _places = field_validator("up_to_pct", "rate_pct")(_two_places)

    @property
    def up_to_bp(self) -> int:
        """``up_to_pct`` in basis points (hundredths of a percent)."""
        return int(self.up_to_pct * 100)

    @property
    def rate_bp(self) -> int:
        """``rate_pct`` in basis points."""
        return int(self.rate_pct * 100)


class MatchConfig(_Strict):
    tiers: tuple[MatchTier, ...] = Field(default=(), strict=False)  # TOML arrays arrive as lists
    match_catch_up: bool = True

    @property
    def full_match_bp(self) -> int | None:
        """The lowest deferral (basis points of pay) that earns the whole match: the ``up_to_bp`` of the last tier
        that matches anything (rate > 0); None when no tier does.

        >>> MatchConfig(tiers=(MatchTier(up_to_pct=3, rate_pct=100), MatchTier(up_to_pct=6, rate_pct=0))).full_match_bp
        300
        """
        bands = [t.up_to_bp for t in self.tiers if t.rate_bp > 0]
        return bands[-1] if bands else None

    @field_validator("tiers")
    @classmethod
    def _increasing(cls, tiers: tuple[MatchTier, ...]) -> tuple[MatchTier, ...]:
        bounds = [t.up_to_pct for t in tiers]
        if any(later <= earlier for earlier, later in zip(bounds, bounds[1:])):
            raise ValueError("tiers must have strictly increasing up_to_pct")
        return tiers


class CatchUpConfig(_Strict):
    enabled: bool = True
    age_60_63: bool = True
    #: IRC §414(v)(7) from 2026: for a person whose prior-year FICA wages exceed the threshold, pre-tax
    #: catch-up is either deemed Roth ("convert") or not deferred ("stop").
    roth_for_high_earners: Literal["convert", "stop"] = "convert"


class TrueUpConfig(_Strict):
    """Year-end match true-up, due on ``on`` (month-day) of the following year."""

    enabled: bool = False
    on: str = Field(default="01-31", pattern=r"^[0-9]{2}-[0-9]{2}$")
    requires_last_day_employment: bool = False
    min_hours: Percent = Field(default=Decimal(0), ge=0)

    @field_validator("on")
    @classmethod
    def _real_month_day(cls, value: str) -> str:
        month, day = (int(part) for part in value.split("-"))
        try:
            date(2027, month, day)  # a non-leap year: 02-29 would not exist every year
        except ValueError:
            raise ValueError(f"{value!r} is not a month-day that exists every year") from None
        return value

    def due_date(self, plan_year: int) -> date:
        """The date the true-up for ``plan_year`` is due: ``on`` in the following year."""
        month, day = (int(part) for part in self.on.split("-"))
        return date(plan_year + 1, month, day)

    @property
    def min_hours_hundredths(self) -> int:
        return int(self.min_hours * 100)


class NonelectiveConfig(_Strict):
    """Employer nonelective contribution: ``pct`` % of plan compensation each period."""

    pct: Percent = Field(default=Decimal(0), ge=0, le=100)

    _places = field_validator("pct")(_two_places)

    @property
    def bp(self) -> int:
        return int(self.pct * 100)


#: The least generous schedules IRC §411(a)(2)(B) allows for employer contributions, by completed years of
#: service: a 3-year cliff, or 2-to-6-year graded. A plan's schedule must be at least one of them at every year.
CLIFF_3_YEAR_PCT: tuple[int, ...] = (0, 0, 0, 100)
GRADED_2_TO_6_YEAR_PCT: tuple[int, ...] = (0, 0, 20, 40, 60, 80, 100)


def pct_after(schedule: tuple[Decimal, ...] | tuple[int, ...], years: int) -> Decimal:
    """The vested percent after ``years`` completed years: the schedule's last value holds."""
    return Decimal(schedule[min(years, len(schedule) - 1)])


class VestingConfig(_Strict):
    """How employer money (match, true-up, nonelective) vests; employee money is always 100% vested.

    ``schedule[n]`` is the vested percent after ``n`` completed years of vesting service; the last value
    holds. ``method`` counts service as completed years from hire to termination (``"elapsed"``) or as
    calendar years with at least 1,000 payroll hours (``"hours"``). A participant who dies, becomes disabled or
    has reached ``normal_retirement_age`` when employment ends is 100% vested.
    """

    schedule: tuple[Percent, ...] = Field(default=(Decimal(100),), min_length=1, max_length=50, strict=False)
    method: Literal["elapsed", "hours"] = "elapsed"
    #: IRC §411(a)(8): normal retirement age may not be later than 65 (the 5th-anniversary-of-participation
    #: alternative is not modelled).
    normal_retirement_age: int = Field(default=65, ge=18, le=65)

    @field_validator("schedule")
    @classmethod
    def _legal(cls, schedule: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        for value in schedule:
            if not Decimal(0) <= value <= Decimal(100):
                raise ValueError("every vested percent must be between 0 and 100")
            _two_places(value)
        if any(later < earlier for earlier, later in zip(schedule, schedule[1:])):
            raise ValueError("vested percents must not decrease with service")
        years = range(len(GRADED_2_TO_6_YEAR_PCT) + len(schedule))
        meets_cliff = all(pct_after(schedule, n) >= pct_after(CLIFF_3_YEAR_PCT, n) for n in years)
        meets_graded = all(pct_after(schedule, n) >= pct_after(GRADED_2_TO_6_YEAR_PCT, n) for n in years)
        if not (meets_cliff or meets_graded):
            raise ValueError(
                "less generous than IRC 411(a)(2)(B) allows for employer contributions: the schedule must be at "
                "least a 3-year cliff [0, 0, 0, 100] or 2-to-6-year graded [0, 0, 20, 40, 60, 80, 100] at every "
                "year of service"
            )
        return schedule

    def pct_bp_after(self, years: int) -> int:
        """The schedule's vested percent after ``years`` completed years, in basis points."""
        return int(pct_after(self.schedule, years) * 100)


#: The largest involuntary cash-out the law has allowed (SECURE 2.0 §304, distributions after 2023); the limit
#: in force for a date comes from sql/seeds/distribution_rules.csv.
MAX_FORCE_OUT_DOLLARS = Decimal(7000)
#: IRC §401(a)(31)(B): a mandatory distribution above $1,000 must be rolled to an IRA unless the person elects.
MAX_CASH_OUT_DOLLARS = Decimal(1000)

Money = Annotated[Decimal, BeforeValidator(_to_decimal)]


class DistributionsConfig(_Strict):
    """What the plan may do with a leaver's account without consent (IRC §411(a)(11), §401(a)(31)(B)).

    A vested balance at or below ``cash_out_limit`` may be paid out; above it and at or below
    ``force_out_limit``, rolled over to an IRA automatically; above, only with consent. The force-out limit in
    force on a date is the lower of this and the law's for that year ($5,000 before 2024). With
    ``exclude_rollovers_from_force_out``, money rolled in from elsewhere does not count toward the limits.
    """

    cash_out_limit: Money = Field(default=MAX_CASH_OUT_DOLLARS, ge=0, le=MAX_CASH_OUT_DOLLARS)
    force_out_limit: Money = Field(default=MAX_FORCE_OUT_DOLLARS, ge=0, le=MAX_FORCE_OUT_DOLLARS)
    exclude_rollovers_from_force_out: bool = True

    _places = field_validator("cash_out_limit", "force_out_limit")(_two_places)

    @field_validator("force_out_limit")
    @classmethod
    def _ordered(cls, value: Decimal, info) -> Decimal:  # noqa: ANN001 - pydantic's ValidationInfo
        if value < info.data.get("cash_out_limit", Decimal(0)):
            raise ValueError("must not be below cash_out_limit")
        return value

    @property
    def cash_out_limit_cents(self) -> int:
        return int(self.cash_out_limit * 100)

    @property
    def force_out_limit_cents(self) -> int:
        return int(self.force_out_limit * 100)


ProfileName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


class ImportsConfig(_Strict):
    """The import profile (``PLANS/profiles/<name>.toml``, :mod:`schemas.profile`) each kind's files are read
    with; none: planadmin's own format."""

    payroll: ProfileName | None = None
    census: ProfileName | None = None
    balances: ProfileName | None = None
    distributions: ProfileName | None = None


class PlanConfig(_Strict):
    plan_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(min_length=1)
    match: MatchConfig = MatchConfig()
    catch_up: CatchUpConfig = CatchUpConfig()
    true_up: TrueUpConfig = TrueUpConfig()
    nonelective: NonelectiveConfig = NonelectiveConfig()
    vesting: VestingConfig = VestingConfig()
    distributions: DistributionsConfig = DistributionsConfig()
    imports: ImportsConfig = ImportsConfig()
    #: The profiles ``imports`` names, loaded by :func:`load_plan` (not a key of the file).
    _profiles: dict = PrivateAttr(default_factory=dict)

    def profile(self, kind: str) -> ImportProfile | None:
        """The import profile for ``kind``'s files, or None for planadmin's own format."""
        name = getattr(self.imports, kind)
        if name is None:
            return None
        if kind not in self._profiles:
            raise PlanConfigError(f"plan {self.plan_id!r}: the {kind} profile {name!r} was not loaded (load_plan loads "
                                  "a plan file's profiles from PLANS/profiles/)")
        return self._profiles[kind]


def describe_error(err: dict) -> str:
    """One pydantic error as 'key: what is wrong' (an unknown key named as such)."""
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if err["type"] == "missing":
        return f"missing required key '{key}'"
    return f"key '{key}': {err['msg']}"


def parse_toml_model(text: str, source: str, model: type[M], error: type[PlanConfigError] = PlanConfigError,
                     parse_float: Callable[[str], object] = float) -> M:
    """A strict TOML file (a plan, an import profile, the settings) as its pydantic model; ``source`` names the
    file in every error, each problem by its key."""
    try:
        raw = tomllib.loads(text, parse_float=parse_float)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"{source}: " + "; ".join(describe_error(e) for e in exc.errors())) from None


def parse_plan_text(text: str, source: str) -> PlanConfig:
    """Parse and validate a plan file's text; ``source`` names the file in errors."""
    return parse_toml_model(text, source, PlanConfig, parse_float=Decimal)


def load_plan(path: Path) -> PlanConfig:
    """Load ``PLANS/<plan_id>.toml``; its ``plan_id`` must equal the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanConfigError(f"{path}: cannot read plan file: {exc}") from None
    plan = parse_plan_text(text, str(path))
    if plan.plan_id != path.stem:
        raise PlanConfigError(f"{path}: key 'plan_id' is {plan.plan_id!r} but the file name says {path.stem!r}")
    from schemas.profile import load_profile  # here, not at the top: schemas.profile imports this module

    for kind, name in plan.imports.model_dump().items():
        if name is not None:
            plan._profiles[kind] = load_profile(path.parent, name, kind)
    return plan
