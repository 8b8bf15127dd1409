"""The cross-language search glossary: Thai and English pairs of trade words (ทุเรียน / durian) that staff
keep on a page, and that the directory search reads to find a firm in the other language."""
