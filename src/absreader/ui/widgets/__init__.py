"""The reader's widgets: paper list, detail pane, sidebar, search bar and status line."""
