using System.Buffers;
using System.Runtime.CompilerServices;
using FASTER.core;

namespace HotZk.Engine.Faster;

/// <summary>What an RMW or read asks of the record callbacks.</summary>
internal enum NodeOp : byte
{
    /// <summary>RMW: create or replace meta and data.</summary>
    Put = 1,
    /// <summary>RMW: replace meta, keep data; never creates.</summary>
    MetaOnly = 2,
    /// <summary>Read: meta only.</summary>
    ReadMeta = 3,
    /// <summary>Read: meta and data.</summary>
    ReadData = 4,
}

/// <summary>
/// Operation input. Holds raw pointers to the caller's meta and (pinned) data; every operation
/// that carries one completes, pending I/O included, before the public method returns, so the
/// pointers never outlive the pin.
/// </summary>
internal unsafe struct NodeInput
{
    public NodeMeta* Meta;
    public byte* Data;
    /// <summary>-1 = null data.</summary>
    public int DataLength;
    public NodeOp Op;

    public readonly int ValueLength => NodeRecord.HeaderSize + (DataLength < 0 ? 0 : DataLength);
}

/// <summary>Operation output: meta always; data into a pinned span or an <see cref="IBufferWriter{T}"/>.</summary>
internal unsafe struct NodeOutput
{
    public NodeMeta Meta;
    public byte* Dest;
    public int DestCapacity;
    public IBufferWriter<byte>? Writer;
    /// <summary>True when the data was copied out (it fit, or went to the writer).</summary>
    public bool Copied;
}

/// <summary>Value layout helpers: [NodeMeta (72 B)][data].</summary>
internal static unsafe class NodeRecord
{
    public const int HeaderSize = NodeMeta.Size;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref NodeMeta MetaOf(ref SpanByte value) => ref Unsafe.AsRef<NodeMeta>(value.ToPointer());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static NodeMeta ReadMeta(ref SpanByte value) => Unsafe.ReadUnaligned<NodeMeta>(value.ToPointer());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteMeta(ref SpanByte value, in NodeMeta meta) => Unsafe.WriteUnaligned(value.ToPointer(), meta);

    /// <summary>Writes a full record from the input into a value of exactly the right length.</summary>
    public static void WritePut(ref SpanByte value, ref NodeInput input)
    {
        int need = input.ValueLength;
        if (value.Length < need) throw new InvalidOperationException($"value space {value.Length} < {need}");
        if (value.Length > need) value.ShrinkSerializedLength(need);
        var meta = *input.Meta;
        meta.DataLength = input.DataLength;
        byte* p = value.ToPointer();
        Unsafe.WriteUnaligned(p, meta);
        if (input.DataLength > 0)
            Buffer.MemoryCopy(input.Data, p + HeaderSize, input.DataLength, input.DataLength);
    }

    /// <summary>Copies meta (and, when asked, data) out of a record.</summary>
    public static void ReadInto(ref SpanByte value, ref NodeInput input, ref NodeOutput output)
    {
        byte* p = value.ToPointer();
        output.Meta = Unsafe.ReadUnaligned<NodeMeta>(p);
        if (input.Op != NodeOp.ReadData) return;
        int len = output.Meta.DataLength;
        if (len <= 0) { output.Copied = true; return; }
        var src = new ReadOnlySpan<byte>(p + HeaderSize, len);
        if (output.Writer is not null)
        {
            src.CopyTo(output.Writer.GetSpan(len));
            output.Writer.Advance(len);
            output.Copied = true;
        }
        else if (len <= output.DestCapacity)
        {
            src.CopyTo(new Span<byte>(output.Dest, output.DestCapacity));
            output.Copied = true;
        }
    }
}

/// <summary>Length of the value an RMW produces.</summary>
internal sealed class NodeValueLength : IVariableLengthStruct<SpanByte, NodeInput>
{
    public int GetInitialLength(ref NodeInput input) => sizeof(int) + input.ValueLength;

    public int GetLength(ref SpanByte t, ref NodeInput input) =>
        input.Op == NodeOp.Put ? sizeof(int) + input.ValueLength : t.TotalSize;
}

/// <summary>
/// FASTER callbacks for znode records. Runs on the thread that issued the operation (the engine
/// thread), including completions of pending I/O, which the store drains synchronously.
/// </summary>
internal sealed unsafe class NodeFunctions : FunctionsBase<SpanByte, SpanByte, NodeInput, NodeOutput, Empty>
{
    public override bool SingleReader(ref SpanByte key, ref NodeInput input, ref SpanByte value, ref NodeOutput dst, ref ReadInfo readInfo)
    {
        NodeRecord.ReadInto(ref value, ref input, ref dst);
        return true;
    }

    public override bool ConcurrentReader(ref SpanByte key, ref NodeInput input, ref SpanByte value, ref NodeOutput dst, ref ReadInfo readInfo)
    {
        NodeRecord.ReadInto(ref value, ref input, ref dst);
        return true;
    }

    // RMW: Put creates, MetaOnly never does.
    public override bool NeedInitialUpdate(ref SpanByte key, ref NodeInput input, ref NodeOutput output, ref RMWInfo rmwInfo) =>
        input.Op == NodeOp.Put;

    public override bool InitialUpdater(ref SpanByte key, ref NodeInput input, ref SpanByte value, ref NodeOutput output, ref RMWInfo rmwInfo)
    {
        NodeRecord.WritePut(ref value, ref input);
        return true;
    }

    public override bool NeedCopyUpdate(ref SpanByte key, ref NodeInput input, ref SpanByte oldValue, ref NodeOutput output, ref RMWInfo rmwInfo) => true;

    public override bool CopyUpdater(ref SpanByte key, ref NodeInput input, ref SpanByte oldValue, ref SpanByte newValue, ref NodeOutput output, ref RMWInfo rmwInfo)
    {
        if (input.Op == NodeOp.Put)
        {
            NodeRecord.WritePut(ref newValue, ref input);
            return true;
        }
        // MetaOnly: copy the old record (data included), then overwrite the meta.
        int len = oldValue.Length;
        if (newValue.Length > len) newValue.ShrinkSerializedLength(len);
        oldValue.AsReadOnlySpan().CopyTo(newValue.AsSpan());
        WriteMetaKeepLength(ref newValue, input.Meta);
        return true;
    }

    public override bool InPlaceUpdater(ref SpanByte key, ref NodeInput input, ref SpanByte value, ref NodeOutput output, ref RMWInfo rmwInfo)
    {
        if (input.Op == NodeOp.MetaOnly)
        {
            WriteMetaKeepLength(ref value, input.Meta);
            return true;
        }
        // Put in place only when the size is unchanged: a shrunk SpanByte would leave bytes the
        // log scanner cannot account for. Otherwise FASTER copies to the tail (CopyUpdater).
        if (value.Length != input.ValueLength) return false;
        NodeRecord.WritePut(ref value, ref input);
        return true;
    }

    private static void WriteMetaKeepLength(ref SpanByte value, NodeMeta* meta)
    {
        var m = *meta;
        m.DataLength = NodeRecord.ReadMeta(ref value).DataLength;
        NodeRecord.WriteMeta(ref value, m);
    }

    // Upsert is used only by FASTER itself (copy of records to the tail); copy the bytes.
    public override bool SingleWriter(ref SpanByte key, ref NodeInput input, ref SpanByte src, ref SpanByte dst, ref NodeOutput output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        src.CopyTo(ref dst);
        return true;
    }

    public override bool ConcurrentWriter(ref SpanByte key, ref NodeInput input, ref SpanByte src, ref SpanByte dst, ref NodeOutput output, ref UpsertInfo upsertInfo)
    {
        if (dst.Length != src.Length) return false;
        src.AsReadOnlySpan().CopyTo(dst.AsSpan());
        return true;
    }

    // Tombstones carry no payload: never touch the value (a SpanByte 'default' would corrupt the length).
    public override bool SingleDeleter(ref SpanByte key, ref SpanByte value, ref DeleteInfo deleteInfo) => true;

    public override bool ConcurrentDeleter(ref SpanByte key, ref SpanByte value, ref DeleteInfo deleteInfo) => true;
}
