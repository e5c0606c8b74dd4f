class StaleRecordError(Exception):
    """The record changed since the form was loaded; `current` holds what is stored now."""

    def __init__(self, current):
        super().__init__("the record was changed by someone else")
        self.current = current
