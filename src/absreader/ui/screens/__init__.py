"""The reader's screens: main, help, tag editor, note editor, prompts, first-run progress."""
