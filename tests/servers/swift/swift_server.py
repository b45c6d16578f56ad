#!/usr/bin/python3
"""Run one Swift WSGI server with a private swift dir.

Usage: /usr/bin/python3 swift_server.py SWIFT_DIR SERVER_TYPE CONF_FILE

SERVER_TYPE is one of proxy-server, account-server, container-server,
object-server.  Used by tests/servers/swift/start; not meant to be run by
hand.

Why this exists instead of /usr/bin/swift-*-server:
  * Swift reads swift.conf (hash salt, storage policies, constraints) from the
    fixed path /etc/swift/swift.conf; the per-server `swift_dir` option only
    moves the rings.  Here the swift dir is switched with
    swift.common.utils.set_swift_dir() *before* swift.common.constraints and
    swift.common.storage_policy are imported, so they load SWIFT_DIR/swift.conf
    and nothing outside the work directory is read or modified.
  * Swift logs to syslog (/dev/log, or UDP 127.0.0.1:514 when /dev/log is
    missing).  The syslog handler is replaced by a null handler and the
    console handler (stderr) is enabled, so start can send each server's log
    to a file.
"""

import logging
import os
import sys


def main(argv):
    if len(argv) != 4:
        sys.stderr.write('usage: %s SWIFT_DIR SERVER_TYPE CONF_FILE\n' % argv[0])
        return 2
    swift_dir, server_type, conf_file = argv[1:]
    known = ('proxy-server', 'account-server', 'container-server',
             'object-server')
    if server_type not in known:
        sys.stderr.write('unknown server type %r\n' % server_type)
        return 2
    swift_conf = os.path.join(swift_dir, 'swift.conf')
    if not os.path.isfile(swift_conf):
        sys.stderr.write('missing %s\n' % swift_conf)
        return 2

    from swift.common import utils

    class _NoSyslog(logging.NullHandler):
        def __init__(self, *args, **kwargs):
            logging.NullHandler.__init__(self)

    utils.ThreadSafeSysLogHandler = _NoSyslog

    already = [m for m in ('swift.common.constraints',
                           'swift.common.storage_policy') if m in sys.modules]
    utils.set_swift_dir(swift_dir)
    from swift.common import constraints, storage_policy
    if already:  # not expected with swift 2.30, but stay correct anyway
        constraints.reload_constraints()
        storage_policy.reload_storage_policies()

    # Fail loudly rather than silently running with /etc/swift/swift.conf.
    if (utils.SWIFT_CONF_FILE != swift_conf
            or not constraints.SWIFT_CONSTRAINTS_LOADED):
        sys.stderr.write('could not switch swift dir to %s (using %s)\n'
                         % (swift_dir, utils.SWIFT_CONF_FILE))
        return 1

    from swift.common.wsgi import run_wsgi
    kwargs = {'verbose': True}
    if server_type == 'object-server':
        from swift.obj import server as obj_server
        kwargs['global_conf_callback'] = obj_server.global_conf_callback
    return run_wsgi(conf_file, server_type, **kwargs)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
