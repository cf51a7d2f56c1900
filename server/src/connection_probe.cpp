#include "connection_probe.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>

namespace foley::server {
namespace {

bool endpoint_equals(const sockaddr_storage& addr, const std::string& ip, int port) {
  char text[INET6_ADDRSTRLEN] = {};
  int actual_port = -1;
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    actual_port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    actual_port = ntohs(in6->sin6_port);
  } else {
    return false;
  }
  return actual_port == port && ip == text;
}

}  // namespace

ConnectionProbe::ConnectionProbe(const std::string& local_addr, int local_port,
                                 const std::string& remote_addr, int remote_port) {
  if (local_port < 0 || remote_port < 0) return;
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) return;
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dirfd(dir)) continue;
    int candidate = static_cast<int>(fd);
    struct stat st;
    if (fstat(candidate, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(candidate, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) continue;
    if (getpeername(candidate, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (endpoint_equals(local, local_addr, local_port) &&
        endpoint_equals(peer, remote_addr, remote_port)) {
      fd_ = candidate;
      break;
    }
  }
  closedir(dir);
}

bool ConnectionProbe::disconnected() const {
  if (fd_ < 0) return false;
  pollfd p{};
  p.fd = fd_;
  p.events = POLLIN | POLLRDHUP;
  if (poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) return true;
  if (p.revents & POLLIN) {
    char byte;
    ssize_t n = recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0;  // orderly shutdown by the peer; data (a pipelined request) is not
  }
  return false;
}

}  // namespace foley::server
