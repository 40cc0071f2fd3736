"""Pure computation: no Django, no apps. Arrays and dataclasses in, arrays and dataclasses out."""
