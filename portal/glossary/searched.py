"""What a list with a search box searched for: its terms, widened by the glossary, and the order it is in.
Shared by the directory's and the board's filters, so that both search and order alike."""
from dataclasses import replace
from functools import cached_property

from portal.glossary.queries import alternatives, known_words, translations
from portal.search import terms
from portal.search.sql import needed
from portal.search.suggest import other_language_of, suggestions


class Searched:
    """Mixin for a list's filters (a dataclass with `q` and `sort`). CHOSEN_ORDERS are the orders a user
    may pick; UNSEARCHED_ORDER is the order without search words; with them it is "relevance"."""
    CHOSEN_ORDERS: tuple[str, ...] = ()
    UNSEARCHED_ORDER = ""

    @cached_property
    def terms(self) -> list[str]:
        """The query's terms, normalised once per filters (a page asks for them some 25 times; `replace` makes new
        filters, with their own)."""
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

    def no_dead_end(self, found: int, search) -> tuple[list[str], list[str]]:
        """(did you mean, the same in the other language) for a search that found nothing: corrections of
        its words (glossary words count as known) and translations, each kept only if `search(filters)`
        (this list's own search, as the viewer sees it) finds something with it. ([], []) otherwise."""
        if found or not self.terms:
            return [], []

        def finds(words: list[str]) -> bool:
            return search(replace(self, q=" ".join(words), page=1)).total > 0

        did_you_mean = suggestions(self.terms, exists=finds, also_known=known_words())
        return did_you_mean, other_language_of(self.terms, did_you_mean, translations, finds)

    @property
    def order(self) -> str:
        """The order the list is in: the chosen one, relevance by default when words are searched."""
        return self.sort if self.sort in self.CHOSEN_ORDERS else self.default_order
