// tools/redwire/metrics.cpp — `redwire metrics --listen HOST:PORT`: an HTTP endpoint that
// answers GET /metrics with the Prometheus text of every live instance, asked on each scrape
// ($stats, rendered by include/redwire/prometheus.hpp). One request at a time, Connection: close.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <redwire/prometheus.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include "tool.hpp"

namespace redwire::tool {
namespace {

std::atomic<bool> stopping{false};
void on_signal(int) {
  stopping = true;
}

/// A listening socket on "host:port"; bad_usage for a bad address, unreachable if it cannot bind.
int listen_on(const std::string& address, std::string& bound) {
  const auto colon = address.rfind(':');
  sockaddr_in a{};
  a.sin_family = AF_INET;
  char* end = nullptr;
  const long port =
      colon == std::string::npos ? -1 : std::strtol(address.c_str() + colon + 1, &end, 10);
  if (port < 0 || port > 65535 || *end != '\0' ||
      ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr) != 1)
    throw tool_error(
        bad_usage,
        "--listen takes an IPv4 address and a port, such as 127.0.0.1:9464, not '" + address + "'");
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int yes = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw tool_error(bad_usage, "cannot listen on " + address + ": " + std::strerror(errno));
  }
  socklen_t size = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size);
  bound = address.substr(0, colon) + ":" + std::to_string(ntohs(a.sin_port));
  return fd;
}

std::string gather(session& s, const command_line& cl) {
  std::vector<stats_reply> reports;
  for (const std::string& service : s.reg().services())
    for (const instance_info& i : s.reg().instances(service)) {
      auto r =
          s.caller().builtin(builtin::stats, service, {.timeout = cl.timeout(), .instance = i.id});
      if (r.has_value())
        reports.push_back(std::move(r.value()));
      else
        std::cerr << "redwire: " << i.id << " did not answer: " << r.error().what() << std::endl;
    }
  return prometheus_text(reports);
}

std::string response(int status, const std::string& type, const std::string& body) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Internal Server Error";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         body;
}

/// Reads one request's head (up to the blank line, 5 s at most) and answers it.
void serve(int client, session& s, const command_line& cl) {
  std::string head;
  char buffer[2048];
  pollfd p{client, POLLIN, 0};
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 16384 &&
         ::poll(&p, 1, 5000) == 1) {
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    head.append(buffer, static_cast<std::size_t>(n));
  }
  std::string answer;
  if (head.starts_with("GET /metrics ") || head.starts_with("GET /metrics?")) {
    try {
      answer = response(200, "text/plain; version=0.0.4; charset=utf-8", gather(s, cl));
    } catch (const std::exception& e) {
      answer = response(500, "text/plain", std::string("redwire: ") + e.what() + "\n");
    }
  } else {
    answer = response(404, "text/plain", "redwire: only GET /metrics is served\n");
  }
  for (std::size_t sent = 0; sent < answer.size();) {
    const ssize_t n = ::send(client, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

int run_metrics(const command_line& cl) {
  if (!cl.words.empty())
    throw tool_error(bad_usage, "metrics takes no argument (--listen HOST:PORT)");
  if (!cl.flag("--listen")) throw tool_error(bad_usage, "metrics needs --listen HOST:PORT");
  session s(cl);
  std::string bound;
  const int fd = listen_on(cl.option("--listen"), bound);
  const long limit = cl.number("--count", 0);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::cout << "serving http://" << bound << "/metrics" << std::endl;
  for (long served = 0; !stopping && (limit == 0 || served < limit);) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) != 1) continue;
    const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    serve(client, s, cl);
    ::close(client);
    ++served;
  }
  ::close(fd);
  return ok;
}

}  // namespace redwire::tool
