# The OpenSSL 3.5 (Debian 13) targets of earlier releases, now
# `make check-openssl OPENSSL=3.5` and friends (mk/openssl.mk).
#
#   make check-openssl35     make check-openssl OPENSSL=3.5
#   make bench-openssl35     make bench-openssl OPENSSL=3.5 (D13_BENCH: OSSL_BENCH)
#   make debian13            make openssl-system OPENSSL=3.5
#   make check-debian13      only prove the system is 3.5
#   make clean-debian13      make clean-openssl OPENSSL=3.5

.PHONY: debian13 clean-debian13 check-debian13 check-openssl35 bench-openssl35

check-openssl35:
	@$(MAKE) --no-print-directory check-openssl OPENSSL=3.5

bench-openssl35:
	@$(MAKE) --no-print-directory bench-openssl OPENSSL=3.5 $(if $(D13_BENCH),OSSL_BENCH=$(D13_BENCH))

debian13:
	@$(MAKE) --no-print-directory openssl-system OPENSSL=3.5

check-debian13: debian13
	@tools/debian-env --suite trixie --check $(OSSL_DIR_3.5) 3.5

clean-debian13:
	@$(MAKE) --no-print-directory clean-openssl OPENSSL=3.5
