// What a user reads when the URL or the server is wrong: each bad URL's message quotes the
// part that is wrong (never a password), and a server that does not speak the Redis protocol
// is named as such.
#include <redwire/redis.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using redwire::redis::parse_url;

/// The message parse_url throws for `url` ("" if it throws none).
std::string message_of(const std::string& url) {
  try {
    parse_url(url);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

const std::string how =
    "write redis://host[:port][/db], rediss://host[:port][/db], "
    "redis-sentinel://host[:port][,host[:port]...]/<master-name>[/db], "
    "redis-cluster://host[:port][,host[:port]...] or unix:///path/to/socket";
const std::string other_schemes =
    " (or rediss://, redis-sentinel://, rediss-sentinel://, redis-cluster://, rediss-cluster://, "
    "unix://)";

TEST(redis_url_messages, each_bad_url_says_what_is_wrong_and_quotes_it) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"redis://h?connect_timeout=abc",
       "connect_timeout is not a duration: 'abc' (write 500ms, 2s, 1m, or a number of "
       "milliseconds)"},
      {"redis://h?command_timeout=5h",
       "command_timeout is not a duration: '5h' (write 500ms, 2s, 1m, or a number of "
       "milliseconds)"},
      {"redis://h?connect_timeout=",
       "connect_timeout is not a duration: '' (write 500ms, 2s, 1m, or a number of "
       "milliseconds)"},
      {"redis://h/2?db=3",
       "the db is given twice, as '/2' in the path and as 'db=3' in the query: give it once"},
      {"redis://h?db=1&db=2", "the db is given twice in the query"},
      {"127.0.0.1:6379",
       "the scheme is missing in '127.0.0.1:6379': write redis://127.0.0.1:6379" + other_schemes},
      {"", "the URL is empty: " + how},
      {"http://h", "unknown scheme 'http://' in 'http://h': " + how},
      {"rediss://h?verify=maybe", "verify is yes or no, not 'maybe'"},
      {"redis://h:x", "the port is not a number: 'x'"},
      {"redis://h:70000", "the port is out of range (1 to 65535): '70000'"},
      {"redis://h:", "empty port in 'h:'"},
      {"redis://[::1", "unclosed '[' in the host: '[::1'"},
      {"redis://[::1]x", "unexpected text after ']' in the host: '[::1]x'"},
      {"redis://h/x", "the db is not a number: 'x'"},
      {"redis://h/-1", "the db is negative: '-1'"},
      {"redis://h?db=-2", "the db is negative: '-2'"},
      {"redis://h?bogus=1",
       "unknown option 'bogus' (known: db, connect_timeout, command_timeout, keepalive, prefix, "
       "user, password, ca, cert, key, sni, verify, sentinel_user, sentinel_password)"},
      {"redis://h?db", "option without a value: 'db'"},
      {"unix://relative", "unix:// needs an absolute socket path, not 'relative'"},
      {"unix://", "unix:// needs an absolute socket path, not ''"},
      {"redis://al%zz:pw@h", "a %-escape is not two hex digits in the user: 'al%zz'"},
      {"redis://alice@h", "the user 'alice' has no password"},
  };
  for (const auto& [url, why] : cases)
    EXPECT_EQ(message_of(url), "redwire::redis: bad URL: " + why) << url;
}

TEST(redis_url_messages, a_password_is_never_shown) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"alice:s3cret@10.0.0.5:6379",
       "the scheme is missing in 'alice:***@10.0.0.5:6379': write redis://alice:***@10.0.0.5:6379" +
           other_schemes},
      {"ftp://alice:s3cret@h/1", "unknown scheme 'ftp://' in 'ftp://alice:***@h/1': " + how},
      {"redis://:s3cret@/0", "no host in 'redis://:***@/0'"},
      {"redis://:s3%zzret@h", "a %-escape is not two hex digits in the password"},
      {"redis://h?password=s3%zzret", "a %-escape is not two hex digits in the password"},
      {"h?password=s3cret&db=1",
       "the scheme is missing in 'h?password=***&db=1': write redis://h?password=***&db=1" +
           other_schemes},
  };
  for (const auto& [url, why] : cases) {
    const std::string message = message_of(url);
    EXPECT_EQ(message, "redwire::redis: bad URL: " + why) << url;
    EXPECT_EQ(message.find("s3"), std::string::npos) << message;
  }
  // A wrong part elsewhere in a URL that holds a password.
  for (const char* url : {"redis://u:s3cret@h:x", "redis://u:s3cret@h/2?db=3",
                          "redis://u:s3cret@h?connect_timeout=abc", "unix://u:s3cret@relative"}) {
    const std::string message = message_of(url);
    EXPECT_NE(message, "") << url;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
}

TEST(redis_url_messages, a_good_url_still_parses) {
  const auto st = parse_url("redis://u:p%40ss@h:7000/3?connect_timeout=2s&prefix=x");
  EXPECT_EQ(st.password, "p@ss");
  EXPECT_EQ(st.db, 3);
  EXPECT_EQ(st.connect_timeout, std::chrono::seconds(2));
  EXPECT_EQ(parse_url("unix:///tmp/r.sock?db=4").db, 4);
}

/// A TCP server on loopback that is not Redis: it sends `greeting` as soon as a client
/// connects (as SSH does) or, if `after_request`, once the client has written (as HTTP does).
class fake_server {
 public:
  fake_server(std::string greeting, bool after_request) : greeting_(std::move(greeting)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("fake_server: cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, after_request] {
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      char buf[512];
      if (after_request) (void)::recv(fd, buf, sizeof buf, 0);
      (void)::send(fd, greeting_.data(), greeting_.size(), MSG_NOSIGNAL);
      (void)::recv(fd, buf, sizeof buf, 0);  // until the client goes
      ::close(fd);
    });
  }
  ~fake_server() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }

 private:
  std::string greeting_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

/// What connecting a transport to `url` throws ("" if nothing).
std::string connect_error(const std::string& url) {
  try {
    redwire::redis::transport bus{url};
  } catch (const redwire::transport_error& e) {
    return e.what();
  }
  return "";
}

TEST(redis_url_messages, an_http_server_is_not_a_redis_server) {
  fake_server http("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", true);
  const std::string at = "127.0.0.1:" + std::to_string(http.port());
  EXPECT_EQ(connect_error("redis://" + at), "redwire::redis: not a Redis server at redis://" + at +
                                                "/0 (it answered \"HTTP/1.1 400 Bad Request\")");
}

TEST(redis_url_messages, an_ssh_server_is_not_a_redis_server) {
  fake_server ssh("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", false);
  const std::string at = "127.0.0.1:" + std::to_string(ssh.port());
  EXPECT_EQ(connect_error("redis://:s3cret@" + at + "/2"),
            "redwire::redis: not a Redis server at redis://:***@" + at +
                "/2 (it answered \"SSH-2.0-OpenSSH_9.2p1 Debian-2\")");
}

}  // namespace
