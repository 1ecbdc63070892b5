"""The cloud assembly a review reads: ``stagelift.assembly``, shared with ``stagelift.pricing``."""

from ..assembly import NESTED_STACK_TYPE, Assembly, AssemblyError, StackTemplate, all_templates, load_assembly

__all__ = ["NESTED_STACK_TYPE", "Assembly", "AssemblyError", "StackTemplate", "all_templates", "load_assembly"]
