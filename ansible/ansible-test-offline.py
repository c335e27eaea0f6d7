#!/usr/bin/python3
"""Runs ansible-test with sanity environments that need no network.

ansible-test gives each sanity test a virtual environment and pip-installs pinned
versions of its tools (pycodestyle, pylint, voluptuous, yamllint, ...) from PyPI, after
downloading a pip bootstrap script. Offline neither works. This entry point makes those
environments see the interpreter's own site packages (Debian's python3-pycodestyle,
pylint, python3-voluptuous, yamllint) and skips the pip step; everything else is
ansible-test unchanged. The tool versions are therefore Debian's, not ansible-test's pins.
Give it its own HOME: the environments it creates are cached in ~/.ansible/test/venv.

    HOME=$(mktemp -d) python3 ansible/ansible-test-offline.py sanity --local --python 3.11
"""

from ansible_test._internal.commands import sanity

_create_virtual_environment = sanity.create_virtual_environment


def _with_system_site_packages(args, python, path, system_site_packages=False, pip=False):
    return _create_virtual_environment(args, python, path, system_site_packages=True, pip=False)


def _no_pip(*_args, **_kwargs):
    return None


sanity.create_virtual_environment = _with_system_site_packages
sanity.run_pip = _no_pip

if __name__ == '__main__':
    from ansible_test._internal import main
    main()
