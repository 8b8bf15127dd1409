"""Best match first: a relevance score for the records search.sql.matches found.

For each term (a group: the term and its glossary alternatives), a record scores
- FOUND (100) when it contains the term at all, so that records with every term come before records
  with some: FOUND is more than the word points all terms together can add;
- then, for the best place the term stands as a whole word: 8 in the name (or a request's title),
  4 in the products (quantity), 2 in the description (details);
- or 1 when it is only part of a longer word of the name (ปู inside ปูน), 0 part of a word elsewhere.
Whole words come from the records' `words_*` columns (the text cut into words, " " around each) and
the term is cut the same way, so ฟาร์มปลากัด typed as one word is the two words it is.
Ties go to verified firms, then complete profiles (the callers add those), then the chosen order.

The score is computed for at most RANK_WINDOW matches: the first found by the index (`window`). Up to
that many matches (all but the broadest searches) the order is exact; beyond it, the page ranks the
first RANK_WINDOW found, so that a page costs the same at 100,000 or 1,000,000 records. The window is
twice what can be browsed (portal.listing.COUNT_CAP), so the pages shown are the best of a larger set.
"""
from sqlalchemy import case, func, literal, or_

from portal.search.sql import groups_of
from portal.search.text import word_text

FOUND = 100
RANK_WINDOW = 2000
IN_NAME, IN_PRODUCTS, IN_BODY, PART_OF_NAME = 8, 4, 2, 1


def relevance(model, query_terms, dialect: str):
    """SQL expression: the record's score for the query (higher first)."""
    position = func.instr if dialect == "sqlite" else func.strpos

    def contains(column, strings):
        return or_(*(position(column, literal(s)) > 0 for s in strings))

    score = None
    for group in groups_of(query_terms):
        whole = [w for w in dict.fromkeys(word_text(s) for s in group) if w]
        term_score = case((contains(model.search_text, group), FOUND), else_=0)
        if whole:
            term_score = term_score + case(
                (contains(model.words_name, whole), IN_NAME),
                (contains(model.words_products, whole), IN_PRODUCTS),
                (contains(model.words_body, whole), IN_BODY),
                (contains(model.words_name, group), PART_OF_NAME),
                else_=0)
        score = term_score if score is None else score + term_score
    return score if score is not None else literal(0)


def window(id_column, matching_ids):
    """Criterion: the record is among the first RANK_WINDOW that the query `matching_ids` finds."""
    return id_column.in_(matching_ids.limit(RANK_WINDOW))
