"""Modal dialogs: the tag editor, the note editor, prompts and confirmations."""
