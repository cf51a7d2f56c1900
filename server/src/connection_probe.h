// ConnectionProbe: tells whether the client of the current request has gone away, so its
// queued or running generation can be cancelled (api.md: "A client that disconnects before
// its audio is sent cancels its queued or running work").
//
// cpp-httplib 0.11 does not hand handlers their socket, but the Request carries both
// endpoints of the TCP connection; the probe finds the process's socket with exactly that
// (local, remote) address pair and then polls it: POLLRDHUP/POLLHUP or a zero-byte peek
// means the peer closed.
#pragma once

#include <string>

namespace foley::server {

class ConnectionProbe {
 public:
  ConnectionProbe(const std::string& local_addr, int local_port, const std::string& remote_addr,
                  int remote_port);
  bool found() const { return fd_ >= 0; }
  bool disconnected() const;

 private:
  int fd_ = -1;
};

}  // namespace foley::server
