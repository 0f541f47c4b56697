"""The local stack for development and tests: dev PKI, SeaweedFS, OpenSSL TSA."""
