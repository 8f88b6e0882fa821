"""Build hook: a wheel carries the checkout's data/ and notebooks/ inside the package.

They stay at the top of the checkout (the one source of both); a built wheel packs them as
``infermodel/_shipped/``, where :mod:`infermodel.paths` reads them when the kit is installed.
An editable install (``make``) reads them from the checkout, so it gets no copy.
"""

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SHIPPED = {"data": "infermodel/_shipped/data", "notebooks": "infermodel/_shipped/notebooks"}


class ShippedFilesHook(BuildHookInterface):
    """Adds the shipped folders to a standard (not an editable) wheel."""

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name == "wheel" and version == "standard":
            build_data["force_include"].update(SHIPPED)
