"""The application layer: Threatlake's operations, shared by the API, the command line, the UI and workflows.

Each operation is a plain function or a small class that takes its collaborators (the event store, the
state repositories of ``threatlake.state``, the pipelines in force) as arguments; none reads settings, the
clock or the environment on its own. The adapters (``threatlake.web`` for HTTP, ``threatlake.cli`` for the
command line, workflows) decode their input, call one operation and encode its answer.

Modules: ``access`` (tokens and connections).
``service`` imports ``model``, ``sources``, ``pipeline``, ``query``, ``store`` and ``state``, never ``web``
or ``cli``.
"""
