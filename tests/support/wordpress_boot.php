<?php
// Bootstrap Debian's WordPress with our own configuration (instead of /etc/wordpress/config-<host>.php).
$cfg = json_decode( getenv( 'WP_TEST_CONFIG' ), true );
define( 'DB_NAME', $cfg['db'] ); define( 'DB_USER', $cfg['user'] ); define( 'DB_PASSWORD', $cfg['password'] );
define( 'DB_HOST', 'localhost' ); define( 'DB_CHARSET', 'utf8mb4' ); define( 'DB_COLLATE', '' );
define( 'WP_CONTENT_DIR', $cfg['content'] ); define( 'WP_CONTENT_URL', $cfg['home'] . '/wp-content' );
define( 'WP_HOME', $cfg['home'] ); define( 'WP_SITEURL', $cfg['home'] );
define( 'AUTH_KEY', 'k1' ); define( 'SECURE_AUTH_KEY', 'k2' ); define( 'LOGGED_IN_KEY', 'k3' ); define( 'NONCE_KEY', 'k4' );
define( 'AUTH_SALT', 's1' ); define( 'SECURE_AUTH_SALT', 's2' ); define( 'LOGGED_IN_SALT', 's3' ); define( 'NONCE_SALT', 's4' );
define( 'WP_DEBUG', true ); define( 'WP_DEBUG_DISPLAY', true ); define( 'DISABLE_WP_CRON', true );
$table_prefix = 'wp_';
$_SERVER['HTTP_HOST'] = parse_url( $cfg['home'], PHP_URL_HOST ); $_SERVER['REQUEST_URI'] = '/'; $_SERVER['SERVER_NAME'] = $_SERVER['HTTP_HOST'];
if ( ! empty( $cfg['installing'] ) ) { define( 'WP_INSTALLING', true ); }
if ( ! empty( $cfg['admin'] ) ) { define( 'WP_ADMIN', true ); }
define( 'ABSPATH', '/usr/share/wordpress/' );
require ABSPATH . 'wp-settings.php';
