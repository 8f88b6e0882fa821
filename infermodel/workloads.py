"""Workloads: the token volumes a job sends, in the buckets providers bill.

A :class:`Workload` holds disjoint token counts: ``input_tokens`` billed at the full input
price, ``cached_input_tokens`` read from a prompt cache, ``cache_write_tokens`` written into
it (billed at the write price of ``cache_ttl``), ``cache_write_1h_tokens`` written with a
one-hour lifetime besides (a workload may mix 5-minute and 1-hour entries), and
``output_tokens`` generated, of which
``reasoning_tokens`` are the model's hidden reasoning (billed as output, as every provider
in the sources bills them). Build one from counts, or from a total and shares with
:meth:`Workload.from_total`.
"""

from __future__ import annotations

from dataclasses import dataclass

from infermodel import checks
from infermodel.errors import InputError
from infermodel.tables import CACHE_TTLS


@dataclass(frozen=True)
class Workload:
    """Token volumes of one job.

    Attributes
    ----------
    input_tokens
        Prompt tokens billed at the full input price (not cached). [tokens]
    output_tokens
        Generated tokens. [tokens]
    cached_input_tokens
        Prompt tokens read from the provider's prompt cache. [tokens]
    cache_write_tokens
        Prompt tokens written into the provider's prompt cache (Anthropic bills them above
        the input price; where a provider has no write price they are billed as input).
        [tokens]
    cache_ttl
        How long written cache entries live, ``"5m"`` or ``"1h"``; selects the write price.
    reasoning_tokens
        Of ``output_tokens``, those the model spent reasoning (not shown); billed as output
        and counted as generated on rented GPUs. [tokens]
    cache_write_1h_tokens
        Prompt tokens written into the cache with a one-hour lifetime, besides the
        ``cache_write_tokens`` written at ``cache_ttl``: billed at the 1-hour write price
        (where a provider prices no writes, as input). [tokens]
    requests
        Requests the job is made of, if known (informational). [requests]
    name
        A label for tables and reports.
    """

    input_tokens: float
    output_tokens: float
    cached_input_tokens: float = 0.0
    requests: int | None = None
    name: str = "workload"
    cache_write_tokens: float = 0.0
    cache_ttl: str = "5m"
    reasoning_tokens: float = 0.0
    cache_write_1h_tokens: float = 0.0

    def __post_init__(self) -> None:
        for field in (
            "input_tokens",
            "output_tokens",
            "cached_input_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            "cache_write_1h_tokens",
        ):
            checks.number(f"Workload.{field}", getattr(self, field), low=0)
        checks.one_of("Workload.cache_ttl", self.cache_ttl, CACHE_TTLS)
        if self.total_tokens <= 0:
            raise InputError("a Workload needs at least one token (all counts are 0)")
        if self.reasoning_tokens > self.output_tokens:
            raise InputError(
                f"Workload.reasoning_tokens = {self.reasoning_tokens:g} exceeds output_tokens "
                f"= {self.output_tokens:g}; reasoning tokens are part of the output"
            )
        if self.requests is not None:
            checks.whole("Workload.requests", self.requests, minimum=1)

    @classmethod
    def from_total(
        cls,
        total_tokens: float,
        *,
        output_share: float,
        cached_input_share: float = 0.0,
        requests: int | None = None,
        name: str = "workload",
        cache_write_share: float = 0.0,
        cache_ttl: str = "5m",
        cache_write_1h_share: float = 0.0,
    ) -> Workload:
        """Split ``total_tokens`` into input, cached input and output.

        Parameters
        ----------
        total_tokens
            All tokens of the job, prompts and responses, > 0. [tokens]
        output_share
            Fraction of ``total_tokens`` that is generated output, in [0, 1]. [-]
        cached_input_share
            Fraction of the *input* tokens served from a prompt cache, in [0, 1]. [-]
        cache_write_share
            Fraction of the *input* tokens written into the prompt cache, in [0, 1]; with
            ``cached_input_share`` at most 1. [-]
        cache_ttl
            Lifetime of the cache writes, ``"5m"`` or ``"1h"``.
        cache_write_1h_share
            Fraction of the *input* tokens written with a one-hour lifetime besides the
            ``cache_write_share`` written at ``cache_ttl`` (a mix of lifetimes); the three
            shares together at most 1. [-]
        requests
            Requests in the job, if known. [requests]
        name
            Label for tables.
        """
        checks.number("total_tokens", total_tokens, low=0, low_open=True)
        checks.number("output_share", output_share, low=0, high=1)
        checks.number("cached_input_share", cached_input_share, low=0, high=1)
        checks.number("cache_write_share", cache_write_share, low=0, high=1)
        checks.number("cache_write_1h_share", cache_write_1h_share, low=0, high=1)
        shares = cached_input_share + cache_write_share + cache_write_1h_share
        if shares > 1 + 1e-12:
            raise InputError(
                f"cached_input_share + cache_write_share + cache_write_1h_share = {shares:g}: "
                "all are shares of the input tokens, so together at most 1"
            )
        output = total_tokens * output_share
        prompt = total_tokens - output
        cached = prompt * cached_input_share
        written = prompt * cache_write_share
        written_1h = prompt * cache_write_1h_share
        return cls(
            input_tokens=max(prompt - cached - written - written_1h, 0.0),
            output_tokens=output,
            cached_input_tokens=cached,
            requests=requests,
            name=name,
            cache_write_tokens=written,
            cache_ttl=cache_ttl,
            cache_write_1h_tokens=written_1h,
        )

    @property
    def prompt_tokens(self) -> float:
        """All prompt tokens: uncached, read from the cache, written to it. [tokens]"""
        return (
            self.input_tokens
            + self.cached_input_tokens
            + self.cache_write_tokens
            + self.cache_write_1h_tokens
        )

    @property
    def total_tokens(self) -> float:
        """Prompt plus output tokens. [tokens]"""
        return self.prompt_tokens + self.output_tokens

    @property
    def output_share(self) -> float:
        """Fraction of all tokens that is output. [-]"""
        return self.output_tokens / self.total_tokens


#: The article's benchmark job: "20 million tokens ... 10,000 user queries with 2,000-token
#: responses each". Read literally, all 20M tokens are generated output; prompts are not
#: counted (the reading this kit reproduces; pass ``output_share`` < 1 for the other one).
ARTICLE_TOTAL_TOKENS = 20_000_000
ARTICLE_REQUESTS = 10_000


def article_workload(output_share: float = 1.0) -> Workload:
    """The article's 20M-token job (Procure.FYI, Part 3, May 2025).

    Parameters
    ----------
    output_share
        Fraction of the 20M tokens that is output; 1.0 is the article's literal reading. [-]
    """
    return Workload.from_total(
        ARTICLE_TOTAL_TOKENS,
        output_share=output_share,
        requests=ARTICLE_REQUESTS,
        name="article 20M tokens",
    )
