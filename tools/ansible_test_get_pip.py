"""Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).

ansible-test downloads get-pip from a host this machine cannot reach; it uses
~/.ansible/test/cache/get_pip_<version>.py instead when that file exists.
`make sanity` copies this file there. It installs pip with ensurepip, then
runs `pip install` with the arguments ansible-test passes (for example
pip==24.2) from the package index pip is configured for.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY_FLAGS = {"--no-setuptools", "--no-wheel"}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def main():
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    # ansible-test passes pip only a few environment variables, so name the CA bundle here.
    cert = ["--cert", CA_BUNDLE] if os.path.exists(CA_BUNDLE) else []
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *cert, *args])


if __name__ == "__main__":
    main()
