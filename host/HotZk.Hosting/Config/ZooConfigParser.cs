using System.Globalization;

namespace HotZk.Hosting.Config;

/// <summary>
/// Reads <c>zoo.cfg</c> (Java properties syntax) and <c>dataDir/myid</c> into a <see cref="ZooConfig"/>,
/// validating values the way Apache ZooKeeper's <c>QuorumPeerConfig</c> does. Unknown keys are recorded in
/// <see cref="ZooConfig.UnknownKeys"/>, never fatal; invalid values throw <see cref="ZooConfigException"/>.
/// </summary>
/// <remarks>Stateless and thread-safe.</remarks>
public static class ZooConfigParser
{
    private const string ServerLineSyntax =
        "expected host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]";

    // Keys ZooKeeper accepts that HotZk parses but does not act on (yet).
    private static readonly HashSet<string> AcceptedWithoutEffect = new(StringComparer.Ordinal)
    {
        "quorumListenOnAllIPs", "syncEnabled", "connectToLearnerMasterLimit", "observerMasterPort",
        "sslQuorum", "portUnification", "sslQuorumReloadCertFiles", "quorum.cnxn.threads.size",
        "snapshot.compression.method", "oraclePath", "multiAddress.enabled",
        "multiAddress.reachabilityCheckTimeoutMs", "multiAddress.reachabilityCheckEnabled",
        "jvm.pause.info-threshold.ms", "jvm.pause.warn-threshold.ms", "jvm.pause.sleep.time.ms",
        "jvm.pause.monitor",
    };

    private static readonly string[] AcceptedPrefixesWithoutEffect = ["quorum.auth.", "metricsProvider."];

    /// <summary>
    /// Reads a zoo.cfg file. A relative <c>dataDir</c>/<c>dataLogDir</c> resolves against the process working
    /// directory, as in Java ZooKeeper (not against the config file's folder).
    /// </summary>
    /// <param name="path">Path of the zoo.cfg file.</param>
    /// <param name="defaultDataDir">Used when the file sets no <c>dataDir</c>; when <see langword="null"/> a missing dataDir is an error.</param>
    /// <exception cref="ZooConfigException">The file cannot be read or holds an invalid value.</exception>
    public static ZooConfig Parse(string path, string? defaultDataDir = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ZooConfigException($"Cannot read config file '{fullPath}': {e.Message}", e);
        }

        try
        {
            return ParseText(text, Environment.CurrentDirectory, defaultDataDir) with { ConfigPath = fullPath };
        }
        catch (ZooConfigException e)
        {
            throw new ZooConfigException($"{fullPath}: {e.Message}", e) { Key = e.Key };
        }
    }

    /// <summary>Parses zoo.cfg text.</summary>
    /// <param name="text">The file contents.</param>
    /// <param name="baseDir">Directory a relative <c>dataDir</c>/<c>dataLogDir</c> (and <paramref name="defaultDataDir"/>) resolves against.</param>
    /// <param name="defaultDataDir">Used when the text sets no <c>dataDir</c>; when <see langword="null"/> a missing dataDir is an error.</param>
    /// <exception cref="ZooConfigException">A value is invalid; the message names the key and the value.</exception>
    public static ZooConfig ParseText(string text, string baseDir, string? defaultDataDir = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentException.ThrowIfNullOrEmpty(baseDir);

        var props = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (rawKey, rawValue) in JavaProperties.Parse(text))
        {
            // QuorumPeerConfig trims both key and value.
            props[rawKey.Trim()] = rawValue.Trim();
        }

        var b = new Builder(baseDir);
        foreach (var (key, value) in props)
        {
            b.Apply(key, value, props.ContainsKey("dynamicConfigFile"));
        }

        return b.Build(props, defaultDataDir);
    }

    /// <summary>
    /// Reads <c>dataDir/myid</c>: ASCII decimal server id, surrounding whitespace ignored, only the first line used.
    /// </summary>
    /// <param name="dataDir">The data directory.</param>
    /// <param name="maxId">Largest allowed id: 255, or 254 when extended types are enabled.</param>
    /// <returns>The id, or <see langword="null"/> when the file does not exist.</returns>
    /// <exception cref="ZooConfigException">The file is unreadable, not a number, or out of range; the message names the file.</exception>
    public static int? ReadMyId(string dataDir, int maxId = 255)
    {
        string file = Path.Combine(dataDir, "myid");
        if (!File.Exists(file))
        {
            return null;
        }

        string content;
        try
        {
            content = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ZooConfigException($"Cannot read myid file '{file}': {e.Message}", e);
        }

        string trimmed = content.Trim();
        int nl = trimmed.IndexOfAny(['\r', '\n']);
        string first = (nl < 0 ? trimmed : trimmed[..nl]).Trim();
        if (!long.TryParse(first, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long id))
        {
            throw new ZooConfigException($"myid file '{file}' must hold a decimal server id, found '{Shorten(first)}'");
        }

        if (id < 1 || id > maxId)
        {
            string why = maxId < 255 ? " (extendedTypesEnabled=true limits ids to 254)" : string.Empty;
            throw new ZooConfigException($"myid file '{file}' holds server id {id}, outside the range 1–{maxId}{why}");
        }

        return (int)id;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static ZooConfigException KeyError(string key, string message) => new(message) { Key = key };

    private static ZooConfigException Invalid(string key, string value, string expected) =>
        new($"Invalid value '{Shorten(value)}' for zoo.cfg key '{key}': {expected}") { Key = key };

    private static int ParseInt(string key, string value, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
        {
            throw Invalid(key, value, "expected an integer");
        }

        if (n < min || n > max)
        {
            throw Invalid(key, value, max == int.MaxValue ? $"must be at least {min}" : $"must be between {min} and {max}");
        }

        return n;
    }

    private static long ParseLong(string key, string value, long min = long.MinValue)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
        {
            throw Invalid(key, value, "expected an integer");
        }

        if (n < min)
        {
            throw Invalid(key, value, $"must be at least {min}");
        }

        return n;
    }

    // Java's Integer.decode subset used by jute.maxbuffer: decimal, 0x/0X/# hexadecimal.
    private static int ParseDecodedInt(string key, string value, int min)
    {
        ReadOnlySpan<char> s = value;
        bool ok;
        long n;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || s.StartsWith("#"))
        {
            s = s[(s[0] == '#' ? 1 : 2)..];
            ok = long.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out n) && s.Length <= 8;
        }
        else
        {
            ok = long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n);
        }

        if (!ok || n > int.MaxValue)
        {
            throw Invalid(key, value, "expected a decimal or 0x-hexadecimal 32-bit integer");
        }

        if (n < min)
        {
            throw Invalid(key, value, $"must be at least {min}");
        }

        return (int)n;
    }

    private static int ParsePort(string key, string value)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int port))
        {
            throw Invalid(key, value, "expected a port number");
        }

        if (port < 0 || port > 65535)
        {
            throw Invalid(key, value, "a port must be between 0 and 65535");
        }

        return port;
    }

    private static bool ParseBool(string key, string value)
    {
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (value.Equals("false", StringComparison.OrdinalIgnoreCase) || value.Equals("no", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        throw Invalid(key, value, "expected true/false (or yes/no)");
    }

    private static ServerRole ParseRole(string key, string value)
    {
        if (value.Equals("participant", StringComparison.OrdinalIgnoreCase))
        {
            return ServerRole.Participant;
        }

        if (value.Equals("observer", StringComparison.OrdinalIgnoreCase))
        {
            return ServerRole.Observer;
        }

        throw Invalid(key, value, "expected 'participant' or 'observer'");
    }

    // "host:p1:p2..." or "[v6]:p1:p2..." → host plus the remaining ':'-separated parts.
    private static bool TrySplitHost(string s, out string host, out string[] rest)
    {
        host = string.Empty;
        rest = [];
        if (s.StartsWith('['))
        {
            int close = s.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            host = s[1..close];
            string tail = s[(close + 1)..];
            if (tail.Length == 0)
            {
                return true;
            }

            if (tail[0] != ':')
            {
                return false;
            }

            rest = tail[1..].Split(':');
            return host.Length > 0;
        }

        string[] parts = s.Split(':');
        host = parts[0].Trim();
        rest = parts[1..];
        return host.Length > 0;
    }

    /// <summary>Parses one <c>server.N</c> entry.</summary>
    internal static ServerSpec ParseServer(string key, string value)
    {
        string idText = key["server.".Length..];
        if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id < 1 || id > 255)
        {
            throw KeyError(key, $"Invalid zoo.cfg key '{key}': the server id '{idText}' must be a decimal number between 1 and 255");
        }

        string[] serverAndClient = value.Split(';');
        if (serverAndClient.Length > 2)
        {
            throw Invalid(key, value, ServerLineSyntax + " (more than one ';')");
        }

        var addresses = new List<QuorumAddress>();
        ServerRole? role = null;
        foreach (string raw in serverAndClient[0].Split('|'))
        {
            string addr = raw.Trim();
            if (!TrySplitHost(addr, out string host, out string[] parts) || parts.Length < 2 || parts.Length > 3)
            {
                throw Invalid(key, value, ServerLineSyntax);
            }

            int quorumPort = ParseServerPort(key, value, $"quorum port '{parts[0].Trim()}'", parts[0].Trim());
            int electionPort = ParseServerPort(key, value, $"election port '{parts[1].Trim()}'", parts[1].Trim());
            if (quorumPort == electionPort)
            {
                throw Invalid(key, value, $"quorum port and election port must differ (both {quorumPort})");
            }

            if (parts.Length == 3)
            {
                ServerRole r = ParseServerRole(key, value, parts[2].Trim());
                if (role is not null && role != r)
                {
                    throw Invalid(key, value, "the addresses of one server name different roles");
                }

                role = r;
            }

            addresses.Add(new QuorumAddress(host, quorumPort, electionPort));
        }

        string? clientHost = null;
        int? clientPort = null;
        if (serverAndClient.Length == 2)
        {
            string client = serverAndClient[1].Trim();
            string portText;
            if (client.StartsWith('[') || client.Contains(':'))
            {
                if (!TrySplitHost(client, out string h, out string[] p) || p.Length != 1)
                {
                    throw Invalid(key, value, ServerLineSyntax + " (bad client address)");
                }

                clientHost = h;
                portText = p[0].Trim();
            }
            else
            {
                portText = client;
            }

            clientPort = ParseServerPort(key, value, $"client port '{portText}'", portText);
        }

        return new ServerSpec
        {
            Id = id,
            Addresses = addresses,
            Role = role ?? ServerRole.Participant,
            ClientHost = clientHost,
            ClientPort = clientPort,
            RawValue = value,
        };
    }

    private static int ParseServerPort(string key, string lineValue, string what, string portText)
    {
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
        {
            throw Invalid(key, lineValue, $"{ServerLineSyntax} ({what} is not a port in 1–65535)");
        }

        return port;
    }

    private static ServerRole ParseServerRole(string key, string lineValue, string text)
    {
        if (text.Equals("participant", StringComparison.OrdinalIgnoreCase))
        {
            return ServerRole.Participant;
        }

        if (text.Equals("observer", StringComparison.OrdinalIgnoreCase))
        {
            return ServerRole.Observer;
        }

        throw Invalid(key, lineValue, $"{ServerLineSyntax} (unknown role '{text}')");
    }

    private static bool IsWildcard(string address) => address is "0.0.0.0" or "::" or "[::]";

    /// <summary>Mutable accumulator; <see cref="Build"/> applies cross-key rules and produces the record.</summary>
    private sealed class Builder(string baseDir)
    {
        private readonly List<string> _unknown = [];
        private readonly List<string> _warnings = [];
        private readonly List<ServerSpec> _servers = [];
        private readonly Dictionary<string, string> _groups = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _admin = new(StringComparer.Ordinal);

        private int _tickTime = 3000;
        private int _initLimit;
        private int _syncLimit;
        private string? _dataDir;
        private string? _dataLogDir;
        private int _clientPort;
        private string? _clientPortAddress;
        private int _secureClientPort;
        private string? _secureClientPortAddress;
        private int _maxClientCnxns = 60;
        private int _maxCnxns;
        private int _minSessionTimeout = -1;
        private int _maxSessionTimeout = -1;
        private int _clientPortListenBacklog = -1;
        private int _juteMaxBuffer = 0xFFFFF;
        private int? _juteExtra;
        private int _snapCount = 100_000;
        private long _snapSizeLimitInKb = 4_194_304;
        private long _txnLogSizeLimitInKb = -1;
        private long _preAllocSizeKb = 65_536;
        private bool _forceSync = true;
        private int _snapRetainCount = 3;
        private int _purgeInterval;
        private List<string> _whitelist = ["srvr"];
        private bool _extendedTypes;
        private bool _emulate353;
        private bool _skipAcl;
        private bool _enforceQuota;
        private string? _superDigest;
        private string? _superDigestKey;
        private int _containerCheckIntervalMs = 60_000;
        private int _containerMaxPerMinute = 10_000;
        private long _containerMaxNeverUsedIntervalMs;
        private int _globalOutstandingLimit = 1000;
        private bool _digestEnabled = true;
        private bool _reconfigEnabled;
        private bool _standaloneEnabled = true;
        private ServerRole _peerType = ServerRole.Participant;
        private bool _localSessions;
        private bool _localSessionsUpgrading;
        private bool _readOnlyMode;
        private string? _dynamicConfigFile;

        public void Apply(string key, string value, bool hasDynamicConfigFile)
        {
            switch (key)
            {
                case "tickTime": _tickTime = ParseInt(key, value, min: 1); break;
                case "initLimit": _initLimit = ParseInt(key, value, min: 0); break;
                case "syncLimit": _syncLimit = ParseInt(key, value, min: 0); break;
                case "dataDir": _dataDir = ResolveDir(key, value); break;
                case "dataLogDir": _dataLogDir = ResolveDir(key, value); break;
                case "clientPort": _clientPort = ParsePort(key, value); break;
                case "clientPortAddress": _clientPortAddress = value.Length == 0 ? null : value; break;
                case "secureClientPort": _secureClientPort = ParsePort(key, value); break;
                case "secureClientPortAddress": _secureClientPortAddress = value.Length == 0 ? null : value; break;
                case "maxClientCnxns": _maxClientCnxns = ParseInt(key, value, min: 0); break;
                case "maxCnxns": _maxCnxns = ParseInt(key, value, min: 0); break;
                case "minSessionTimeout": _minSessionTimeout = ParseInt(key, value, min: -1); break;
                case "maxSessionTimeout": _maxSessionTimeout = ParseInt(key, value, min: -1); break;
                case "clientPortListenBacklog": _clientPortListenBacklog = ParseInt(key, value, min: -1); break;
                case "jute.maxbuffer": _juteMaxBuffer = ParseDecodedInt(key, value, min: 1); break;
                case "jute.maxbuffer.extrasize": _juteExtra = ParseDecodedInt(key, value, min: 0); break;
                case "snapCount": _snapCount = ParseInt(key, value, min: 2); break;
                case "snapSizeLimitInKb": _snapSizeLimitInKb = ParseLong(key, value); break;
                case "txnLogSizeLimitInKb": _txnLogSizeLimitInKb = ParseLong(key, value); break;
                case "preAllocSize": _preAllocSizeKb = ParseLong(key, value, min: 1); break;
                case "forceSync": _forceSync = ParseBool(key, value); break;
                case "autopurge.snapRetainCount": _snapRetainCount = ParseInt(key, value); break;
                case "autopurge.purgeInterval": _purgeInterval = ParseInt(key, value, min: 0); break;
                case "4lw.commands.whitelist": _whitelist = ParseWhitelist(value); break;
                case "extendedTypesEnabled": _extendedTypes = ParseBool(key, value); break;
                case "emulate353TTLNodes": _emulate353 = ParseBool(key, value); break;
                case "skipACL": _skipAcl = ParseBool(key, value); break;
                case "enforceQuota": _enforceQuota = ParseBool(key, value); break;
                case "DigestAuthenticationProvider.superDigest":
                case "zookeeper.DigestAuthenticationProvider.superDigest":
                    SetSuperDigest(key, value);
                    break;
                case "znode.container.checkIntervalMs": _containerCheckIntervalMs = ParseInt(key, value, min: 1); break;
                case "znode.container.maxPerMinute": _containerMaxPerMinute = ParseInt(key, value, min: 1); break;
                case "znode.container.maxNeverUsedIntervalMs": _containerMaxNeverUsedIntervalMs = ParseLong(key, value, min: 0); break;
                case "globalOutstandingLimit": _globalOutstandingLimit = ParseInt(key, value, min: 1); break;
                case "digest.enabled": _digestEnabled = ParseBool(key, value); break;
                case "reconfigEnabled": _reconfigEnabled = ParseBool(key, value); break;
                case "standaloneEnabled": _standaloneEnabled = ParseBool(key, value); break;
                case "electionAlg":
                    if (ParseInt(key, value) != 3)
                    {
                        throw Invalid(key, value, "only 3 (fast leader election) is supported");
                    }

                    break;
                case "peerType": _peerType = ParseRole(key, value); break;
                case "localSessionsEnabled": _localSessions = ParseBool(key, value); break;
                case "localSessionsUpgradingEnabled": _localSessionsUpgrading = ParseBool(key, value); break;
                case "readonlymode.enabled": _readOnlyMode = ParseBool(key, value); break;
                case "dynamicConfigFile":
                    _dynamicConfigFile = value;
                    _warnings.Add($"dynamicConfigFile '{value}' is not read by HotZk yet; put server.N lines in zoo.cfg.");
                    break;
                default:
                    ApplyPatterned(key, value, hasDynamicConfigFile);
                    break;
            }
        }

        private void ApplyPatterned(string key, string value, bool hasDynamicConfigFile)
        {
            bool quorumKey = key.StartsWith("server.", StringComparison.Ordinal)
                || key.StartsWith("group.", StringComparison.Ordinal)
                || key.StartsWith("weight.", StringComparison.Ordinal);
            if (quorumKey && hasDynamicConfigFile)
            {
                throw KeyError(key, $"zoo.cfg key '{key}' must be in the dynamic config file when dynamicConfigFile is set");
            }

            if (key.StartsWith("server.", StringComparison.Ordinal))
            {
                _servers.Add(ParseServer(key, value));
            }
            else if (key.StartsWith("group.", StringComparison.Ordinal) || key.StartsWith("weight.", StringComparison.Ordinal))
            {
                _groups[key] = value;
            }
            else if (key.StartsWith("admin.", StringComparison.Ordinal))
            {
                _admin[key] = value;
            }
            else if (AcceptedWithoutEffect.Contains(key) || StartsWithAny(key, AcceptedPrefixesWithoutEffect))
            {
                _warnings.Add($"zoo.cfg key '{key}' is accepted but has no effect in HotZk.");
            }
            else
            {
                _unknown.Add(key);
            }
        }

        private static bool StartsWithAny(string key, string[] prefixes)
        {
            foreach (string p in prefixes)
            {
                if (key.StartsWith(p, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private string ResolveDir(string key, string value)
        {
            if (value.Length == 0)
            {
                throw Invalid(key, value, "expected a directory path");
            }

            try
            {
                return Path.GetFullPath(value, baseDir);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                throw Invalid(key, value, "not a valid path: " + e.Message);
            }
        }

        private void SetSuperDigest(string key, string value)
        {
            int colon = value.IndexOf(':');
            if (colon <= 0 || colon == value.Length - 1)
            {
                throw Invalid(key, value, "expected user:base64digest, e.g. super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
            }

            if (_superDigestKey is not null && _superDigestKey != key)
            {
                _warnings.Add($"Both '{_superDigestKey}' and '{key}' are set; using '{key}'.");
            }

            _superDigest = value;
            _superDigestKey = key;
        }

        private static List<string> ParseWhitelist(string value)
        {
            var list = new List<string>();
            foreach (string part in value.Split(','))
            {
                string cmd = part.Trim();
                if (cmd.Length > 0 && !list.Contains(cmd))
                {
                    list.Add(cmd);
                }
            }

            return list;
        }

        public ZooConfig Build(IReadOnlyDictionary<string, string> props, string? defaultDataDir)
        {
            string dataDir = _dataDir
                ?? (defaultDataDir is null
                    ? throw KeyError("dataDir", "zoo.cfg key 'dataDir' is not set (it is required)")
                    : Path.GetFullPath(defaultDataDir, baseDir));

            if (_clientPort == 0 && _clientPortAddress is not null)
            {
                throw KeyError("clientPortAddress", $"zoo.cfg key 'clientPortAddress' is set to '{_clientPortAddress}' but 'clientPort' is not set");
            }

            if (_secureClientPort == 0 && _secureClientPortAddress is not null)
            {
                throw KeyError("secureClientPortAddress", $"zoo.cfg key 'secureClientPortAddress' is set to '{_secureClientPortAddress}' but 'secureClientPort' is not set");
            }

            if (_secureClientPort != 0)
            {
                _warnings.Add($"secureClientPort={_secureClientPort} is accepted but TLS is not supported by HotZk; no secure listener is started.");
            }

            int min = _minSessionTimeout == -1 ? 2 * _tickTime : _minSessionTimeout;
            int max = _maxSessionTimeout == -1 ? 20 * _tickTime : _maxSessionTimeout;
            if (min > max)
            {
                throw KeyError("minSessionTimeout", $"zoo.cfg key 'minSessionTimeout' ({min}) must not be larger than 'maxSessionTimeout' ({max})");
            }

            if (_snapRetainCount < 3)
            {
                _warnings.Add($"autopurge.snapRetainCount={_snapRetainCount} is below the minimum; using 3.");
                _snapRetainCount = 3;
            }

            if (_emulate353 && !_extendedTypes)
            {
                throw KeyError("emulate353TTLNodes", "zoo.cfg key 'emulate353TTLNodes' is true but requires 'extendedTypesEnabled=true'");
            }

            int extra = Math.Max(1024, _juteExtra ?? _juteMaxBuffer);
            if ((long)_juteMaxBuffer + extra > int.MaxValue)
            {
                throw KeyError("jute.maxbuffer", $"zoo.cfg keys 'jute.maxbuffer' ({_juteMaxBuffer}) + 'jute.maxbuffer.extrasize' ({extra}) exceed a signed 32-bit length");
            }

            _servers.Sort((a, b) => a.Id.CompareTo(b.Id));
            for (int i = 1; i < _servers.Count; i++)
            {
                if (_servers[i].Id == _servers[i - 1].Id)
                {
                    string key = $"server.{_servers[i].Id}";
                    throw KeyError(key, $"zoo.cfg key '{key}' is given more than once (ids must be unique)");
                }
            }

            var config = new ZooConfig
            {
                TickTime = _tickTime,
                InitLimit = _initLimit,
                SyncLimit = _syncLimit,
                DataDir = dataDir,
                DataLogDir = _dataLogDir ?? dataDir,
                ClientPort = _clientPort == 0 ? null : _clientPort,
                ClientPortAddress = _clientPortAddress,
                SecureClientPort = _secureClientPort == 0 ? null : _secureClientPort,
                SecureClientPortAddress = _secureClientPortAddress,
                MaxClientCnxns = _maxClientCnxns,
                MaxCnxns = _maxCnxns,
                MinSessionTimeout = min,
                MaxSessionTimeout = max,
                ClientPortListenBacklog = _clientPortListenBacklog,
                JuteMaxBuffer = _juteMaxBuffer,
                JuteMaxBufferExtraSize = extra,
                SnapCount = _snapCount,
                SnapSizeLimitInKb = _snapSizeLimitInKb,
                TxnLogSizeLimitInKb = _txnLogSizeLimitInKb,
                PreAllocSizeKb = _preAllocSizeKb,
                ForceSync = _forceSync,
                AutopurgeSnapRetainCount = _snapRetainCount,
                AutopurgePurgeInterval = _purgeInterval,
                FourLetterWordWhitelist = _whitelist,
                ExtendedTypesEnabled = _extendedTypes,
                Emulate353TtlNodes = _emulate353,
                SkipAcl = _skipAcl,
                EnforceQuota = _enforceQuota,
                SuperDigest = _superDigest,
                ContainerCheckIntervalMs = _containerCheckIntervalMs,
                ContainerMaxPerMinute = _containerMaxPerMinute,
                ContainerMaxNeverUsedIntervalMs = _containerMaxNeverUsedIntervalMs,
                GlobalOutstandingLimit = _globalOutstandingLimit,
                DigestEnabled = _digestEnabled,
                ReconfigEnabled = _reconfigEnabled,
                StandaloneEnabled = _standaloneEnabled,
                ElectionAlg = 3,
                PeerType = _peerType,
                LocalSessionsEnabled = _localSessions,
                LocalSessionsUpgradingEnabled = _localSessionsUpgrading,
                ReadOnlyModeEnabled = _readOnlyMode,
                DynamicConfigFile = _dynamicConfigFile,
                Servers = _servers,
                QuorumGroupsAndWeights = _groups,
                AdminSettings = _admin,
                Properties = props,
                UnknownKeys = _unknown,
                Warnings = _warnings,
            };

            return ApplyQuorumRules(config);
        }

        private ZooConfig ApplyQuorumRules(ZooConfig config)
        {
            int participants = 0;
            foreach (var s in _servers)
            {
                if (s.Role == ServerRole.Participant)
                {
                    participants++;
                }
            }

            int observers = _servers.Count - participants;
            if (participants == 0 && !_standaloneEnabled)
            {
                throw KeyError("standaloneEnabled", "zoo.cfg key 'standaloneEnabled' is false but no participant server.N lines are given");
            }

            if (observers > 0 && (participants == 0 || (participants == 1 && _standaloneEnabled)))
            {
                throw KeyError("server." + FirstObserverId(), $"zoo.cfg defines {observers} observer server.N line(s) but {participants} participant(s); observers need a quorum");
            }

            if (participants == 1 && _standaloneEnabled)
            {
                _warnings.Add("Only one server.N line is given; running standalone (as ZooKeeper does).");
            }

            int maxId = _extendedTypes ? 254 : 255;
            if (!config.IsEnsemble)
            {
                int? standaloneId = null;
                try
                {
                    standaloneId = ReadMyId(config.DataDir, maxId);
                }
                catch (ZooConfigException e)
                {
                    // Standalone servers do not need a myid; a bad one is reported, not fatal.
                    _warnings.Add(e.Message + " (ignored: standalone mode)");
                }

                return config with { ServerId = standaloneId };
            }

            if (_initLimit == 0)
            {
                throw KeyError("initLimit", "zoo.cfg key 'initLimit' is not set (required for an ensemble)");
            }

            if (_syncLimit == 0)
            {
                throw KeyError("syncLimit", "zoo.cfg key 'syncLimit' is not set (required for an ensemble)");
            }

            int id = ReadMyId(config.DataDir, maxId)
                ?? throw new ZooConfigException(
                    $"myid file '{Path.Combine(config.DataDir, "myid")}' is missing; it is required when server.N lines define an ensemble");

            ServerSpec? self = null;
            foreach (var s in _servers)
            {
                if (s.Id == id)
                {
                    self = s;
                }
            }

            if (self is null)
            {
                throw new ZooConfigException(
                    $"myid file '{Path.Combine(config.DataDir, "myid")}' holds server id {id}, but there is no 'server.{id}' line");
            }

            int? clientPort = config.ClientPort;
            string? clientAddress = config.ClientPortAddress;
            if (self.ClientPort is int selfPort)
            {
                if (clientPort is int staticPort && staticPort != selfPort)
                {
                    throw KeyError("clientPort", $"zoo.cfg key 'clientPort' ({staticPort}) differs from the client port in 'server.{id}' ({selfPort})");
                }

                if (clientAddress is not null && self.ClientHost is not null
                    && !IsWildcard(clientAddress) && !string.Equals(clientAddress, self.ClientHost, StringComparison.OrdinalIgnoreCase))
                {
                    throw KeyError("clientPortAddress", $"zoo.cfg key 'clientPortAddress' ({clientAddress}) differs from the client address in 'server.{id}' ({self.ClientHost})");
                }

                clientPort = selfPort;
                clientAddress = self.ClientHost ?? clientAddress;
            }

            ServerRole peerType = config.PeerType;
            if (self.Role != peerType)
            {
                _warnings.Add($"peerType ({peerType}) differs from the role in 'server.{id}' ({self.Role}); using the server.N role.");
                peerType = self.Role;
            }

            return config with
            {
                ServerId = id,
                ClientPort = clientPort,
                ClientPortAddress = clientAddress,
                PeerType = peerType,
            };
        }

        private int FirstObserverId()
        {
            foreach (var s in _servers)
            {
                if (s.Role == ServerRole.Observer)
                {
                    return s.Id;
                }
            }

            return 0;
        }
    }
}
