using System.Buffers.Binary;

namespace HotZk.Replication.Election;

/// <summary>
/// One leader-election message: the sender's state and the vote it currently holds. Wire form is
/// ZooKeeper's, big-endian: int state, long leader, long zxid, long electionEpoch, long peerEpoch,
/// int version (2), int configLength (0) — 44 bytes.
/// </summary>
/// <param name="State">The sender's state.</param>
/// <param name="Leader">The sender's proposed (or elected) leader.</param>
/// <param name="Zxid">Last zxid of that leader.</param>
/// <param name="ElectionEpoch">The sender's election round for this vote.</param>
/// <param name="PeerEpoch">Epoch of that leader.</param>
public readonly record struct Notification(ServerState State, long Leader, long Zxid, long ElectionEpoch, long PeerEpoch)
{
    /// <summary>Size of the current wire form.</summary>
    public const int EncodedLength = 44;

    /// <summary>Size of the pre-3.4.6 form: the current one without version and config length.</summary>
    public const int LegacyLength40 = 40;

    /// <summary>Size of the oldest form: state, leader, zxid and election epoch only.</summary>
    public const int LegacyLength28 = 28;

    /// <summary>Format version written by <see cref="Encode"/> (ZooKeeper 3.5+: with a config section).</summary>
    public const int CurrentVersion = 2;

    /// <summary>The vote this notification carries.</summary>
    public Vote Vote => new(Leader, Zxid, ElectionEpoch, PeerEpoch);

    /// <summary>A notification announcing <paramref name="vote"/> in state <paramref name="state"/>.</summary>
    /// <param name="state">The sender's state.</param>
    /// <param name="vote">The sender's vote.</param>
    /// <returns>The notification.</returns>
    public static Notification From(ServerState state, Vote vote) =>
        new(state, vote.Leader, vote.Zxid, vote.ElectionEpoch, vote.PeerEpoch);

    /// <summary>Serializes to the 44-byte current form (version 2, no config data).</summary>
    /// <returns>A new 44-byte array.</returns>
    public byte[] Encode()
    {
        var buffer = new byte[EncodedLength];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, (int)State);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], Leader);
        BinaryPrimitives.WriteInt64BigEndian(span[12..], Zxid);
        BinaryPrimitives.WriteInt64BigEndian(span[20..], ElectionEpoch);
        BinaryPrimitives.WriteInt64BigEndian(span[28..], PeerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[36..], CurrentVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[40..], 0);
        return buffer;
    }

    /// <summary>
    /// Parses the 44-byte current form or the 40- and 28-byte legacy forms. The 28-byte form has no
    /// peer epoch, so it is taken from the zxid's high 32 bits, as ZooKeeper does.
    /// </summary>
    /// <param name="data">The message body.</param>
    /// <returns>The notification.</returns>
    /// <exception cref="InvalidDataException">The length is not 28, 40 or 44, the state is unknown, or config data is announced.</exception>
    public static Notification Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length != EncodedLength && data.Length != LegacyLength40 && data.Length != LegacyLength28)
        {
            throw new InvalidDataException(
                $"Election notification is {data.Length} bytes; expected {EncodedLength}, {LegacyLength40} or {LegacyLength28}.");
        }

        int rawState = BinaryPrimitives.ReadInt32BigEndian(data);
        if (rawState < (int)ServerState.Looking || rawState > (int)ServerState.Observing)
            throw new InvalidDataException($"Election notification has unknown server state {rawState}.");

        long leader = BinaryPrimitives.ReadInt64BigEndian(data[4..]);
        long zxid = BinaryPrimitives.ReadInt64BigEndian(data[12..]);
        long electionEpoch = BinaryPrimitives.ReadInt64BigEndian(data[20..]);
        long peerEpoch = data.Length == LegacyLength28 ? zxid >> 32 : BinaryPrimitives.ReadInt64BigEndian(data[28..]);

        if (data.Length == EncodedLength)
        {
            // The 44-byte form is exactly what carries no config; a non-zero length would mean bytes are missing.
            int configLength = BinaryPrimitives.ReadInt32BigEndian(data[40..]);
            if (configLength != 0)
            {
                throw new InvalidDataException(
                    $"Election notification announces {configLength} bytes of config data, which this decoder does not accept.");
            }
        }

        return new Notification((ServerState)rawState, leader, zxid, electionEpoch, peerEpoch);
    }
}
