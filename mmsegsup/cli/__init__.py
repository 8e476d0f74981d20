"""The standard tools the stage drivers run (train, test, pseudo-label, pool scoring), as
modules of the package, so that an installed wheel runs them without a repository.

Each module's ``main(argv)`` is the tool: ``python -m mmsegsup.cli.train CONFIG ...`` in a
process of its own, :func:`mmsegsup.utils.tool_runner.run_tool` (``'mmsegsup.cli.train'``) in
this one; ``tools/<name>.py`` of a checkout and the ``.mim/tools/<name>.py`` that ``mim train``
/ ``mim test`` run are thin wrappers over the same function. Not ``mmsegsup/tools``: ``mim
test`` runs ``<package>/tools/test.py`` as a script before ``<package>/.mim/tools/test.py``.
The top layer: the drivers below name these modules, never import them; nothing is imported
here, so ``python -m`` loads only its tool.
"""
