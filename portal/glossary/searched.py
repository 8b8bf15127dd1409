"""What a list with a search box searched for: its terms, widened by the glossary, and the order it is in.
Shared by the directory's and the board's filters, so that both search and order alike."""
from functools import cached_property

from portal.glossary.queries import alternatives
from portal.search import terms
from portal.search.sql import needed


class Searched:
    """Mixin for a list's filters (a dataclass with `q` and `sort`). CHOSEN_ORDERS are the orders a user
    may pick; UNSEARCHED_ORDER is the order without search words; with them it is "relevance"."""
    CHOSEN_ORDERS: tuple[str, ...] = ()
    UNSEARCHED_ORDER = ""

    @property
    def terms(self) -> list[str]:
        return terms(self.q)

    @cached_property
    def groups(self) -> list[list[str]]:
        """The terms, each with its other-language forms from the glossary (one query, once per page)."""
        return alternatives(self.terms)

    @property
    def also(self) -> list[str]:
        """The other-language forms the glossary added to the search, to say so on the page."""
        return needed(form for group in self.groups for form in group[1:])  # not "betta fish" beside "betta"

    @property
    def default_order(self) -> str:
        return "relevance" if self.terms else self.UNSEARCHED_ORDER

    @property
    def order(self) -> str:
        """The order the list is in: the chosen one, relevance by default when words are searched."""
        return self.sort if self.sort in self.CHOSEN_ORDERS else self.default_order
