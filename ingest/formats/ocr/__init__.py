"""Reading pictures of text: the OCR engine, its cache by content, and lines in reading order."""
