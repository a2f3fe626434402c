"""Workflows: the commercial product's workflow format, run here (``docs/workflows.md``).

``definition`` reads and validates documents, ``expressions`` renders the sandboxed Jinja2 templates in them,
``runner`` runs one execution (a DAG of tasks), ``actions`` holds one module per action in a registry,
``schedule`` says when a scheduled workflow is due, ``scheduler`` runs due workflows under a lease, ``engine``
is the one path every adapter (REST, CLI, scheduler, new-event hook) uses, and ``ports`` names what the engine
needs from the rest of Threatlake (in-memory stand-ins in ``memory``).
"""
