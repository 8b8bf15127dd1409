"""PDPA consent and retention: the versioned privacy notice (/privacy), what each person accepted and when,
listing consent granted and withdrawn, and the retention schedule the periodic jobs carry out."""
