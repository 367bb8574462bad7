#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
// MariaDB Connector/C (https://mariadb.com/kb/en/mariadb-connector-c-api-functions/), the client of the MySQL and
// MariaDB targets. Its non-blocking API (mysql_*_start / mysql_*_cont) is what the driver uses, so that every
// wait runs against the Lambda deadline.
#include <mysql.h>

/// mysql_options with an unsigned int value (timeouts, protocol), which Swift cannot pass as `const void *` directly.
static inline int cmariadb_option_uint(MYSQL *mysql, enum mysql_option option, unsigned int value) {
    return mysql_options(mysql, option, &value);
}

/// mysql_options with a my_bool value (MYSQL_OPT_SSL_ENFORCE, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, ...).
static inline int cmariadb_option_bool(MYSQL *mysql, enum mysql_option option, int value) {
    my_bool flag = value ? 1 : 0;
    return mysql_options(mysql, option, &flag);
}

#endif
